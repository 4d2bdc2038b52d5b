// An offset calculation by category, drawn by the vendored Chart.js (static/vendor/chartjs).
// The data come from <script type="application/json" id="offset-chart-data"> (the CSP
// allows no inline script; a JSON block is data, not code). Runs on a full load and again
// when htmx swaps in a new result.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("offset-chart");
    var source = document.getElementById("offset-chart-data");
    if (!canvas || !source || canvas.dataset.drawn || typeof Chart === "undefined") {
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
          y: {beginAtZero: true, title: {display: true, text: data.label}}
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);
})();
