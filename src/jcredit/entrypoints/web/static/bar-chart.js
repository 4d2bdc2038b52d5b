// Bar charts drawn by the vendored Chart.js (static/vendor/chartjs): every
// <canvas data-chart="ID"> takes its data from <script type="application/json" id="ID">
// ({labels, values, label, x_title?, y_title?}; the CSP allows no inline script, and a JSON
// block is data, not code). Used by the estimate (cumulative credits) and the offset
// calculators (emissions by category). Runs on a full load and again when htmx swaps.
(function () {
  "use strict";
  function axis(text) {
    return text ? {display: true, text: text} : {display: false};
  }
  function draw() {
    if (typeof Chart === "undefined") {
      return;
    }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || canvas.dataset.drawn) {
        return;
      }
      var data = JSON.parse(source.textContent);
      canvas.dataset.drawn = "yes";
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{label: data.label, data: data.values, backgroundColor: "#1f6f43"}]
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: {legend: {display: false}},
          scales: {
            x: {title: axis(data.x_title)},
            y: {beginAtZero: true, title: axis(data.y_title || data.label)}
          }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);
})();
