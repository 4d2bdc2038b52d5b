// After a page arrives, where the reader is put (JIS X 8341-3 / WCAG 2.4.3, 4.1.3):
// - a page sent back with errors: the first error box is scrolled into view and focused
//   (screen readers announce it), whether the page came by htmx (hx-boost) or not;
// - any other page that htmx swapped in (a boosted link or form): focus moves to its main
//   heading and the new page's title is announced in a polite live region, as a full page
//   load would be.
(function () {
  function showFirstError() {
    var box = document.querySelector(".form-summary, .field.has-error");
    if (!box) { return false; }
    box.scrollIntoView({ block: "center" });
    var field = box.classList.contains("form-summary") ? box : box.querySelector("input, select, textarea");
    if (field && typeof field.focus === "function") { field.focus({ preventScroll: true }); }
    return true;
  }
  function announcePage() {
    var heading = document.querySelector("main h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    var live = document.getElementById("page-announcer");
    if (live) {
      live.textContent = "";
      setTimeout(function () { live.textContent = document.title; }, 50);
    }
  }
  document.addEventListener("DOMContentLoaded", showFirstError);
  // after htmx has settled and done its own scrolling (show:top on boosted requests)
  document.addEventListener("htmx:afterSettle", function (event) {
    var boosted = event.detail && event.detail.boosted;
    setTimeout(function () {
      if (!showFirstError() && boosted) { announcePage(); }
    }, 30);
  });
})();
