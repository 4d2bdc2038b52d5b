// A page sent back with errors shows them: the first error box is scrolled into view and
// focused (screen readers announce it), whether the page came by htmx (hx-boost) or not.
(function () {
  function showFirstError() {
    var box = document.querySelector(".form-summary, .field.has-error");
    if (!box) { return; }
    box.scrollIntoView({ block: "center" });
    var field = box.classList.contains("form-summary") ? box : box.querySelector("input, select, textarea");
    if (field && typeof field.focus === "function") { field.focus({ preventScroll: true }); }
  }
  document.addEventListener("DOMContentLoaded", showFirstError);
  // after htmx has settled and done its own scrolling (show:top on boosted requests)
  document.addEventListener("htmx:afterSettle", function () { setTimeout(showFirstError, 30); });
})();
