// A site's readings (docs/dmrv.md §8), drawn by the vendored Chart.js (static/vendor/chartjs):
// per interval the generation, export, import and the clear-sky expectation (Wh), with the
// intervals of the automatic checks' findings marked: a shaded band per finding's range
// (BLOCK red, HOLD amber, FLAG blue; each a legend entry that hides its bands) and the
// generation's points in those intervals coloured. Time axis in Japan time (UTC+9, no
// daylight saving), whatever the browser's zone.
// Data: <script type="application/json" id="site-chart-data"> (the CSP allows no inline
// script). Runs on a full load and again after htmx swaps a page in.
(function () {
  "use strict";
  var JST_MS = 9 * 3600 * 1000;
  var DAY_MS = 86400 * 1000;
  var COLOURS = {
    generation: "#1f6f43", export: "#d9822b", import: "#8a8a8a", clear_sky: "#3b6fb6"
  };
  var BANDS = {
    BLOCK: {fill: "rgba(200, 30, 30, 0.20)", point: "#c81e1e"},
    HOLD: {fill: "rgba(230, 160, 0, 0.22)", point: "#c88400"},
    FLAG: {fill: "rgba(60, 110, 200, 0.14)", point: "#3c6ec8"}
  };
  var ORDER = ["FLAG", "HOLD", "BLOCK"]; // drawn in this order: BLOCK on top

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function jst(ms) { return new Date(ms + JST_MS); }

  function dayLabel(ms) {
    var d = jst(ms);
    return (d.getUTCMonth() + 1) + "/" + d.getUTCDate();
  }

  function timeLabel(ms) {
    var d = jst(ms);
    return d.getUTCFullYear() + "/" + (d.getUTCMonth() + 1) + "/" + d.getUTCDate() + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " JST";
  }

  // The severity of each interval (the most severe band it overlaps), for the points.
  function severities(data) {
    var rank = {FLAG: 1, HOLD: 2, BLOCK: 3};
    var out = new Array(data.start.length);
    data.bands.forEach(function (band) {
      for (var i = 0; i < data.start.length; i++) {
        var s = data.start[i];
        var e = s + data.seconds[i];
        if (s < band.end && e > band.start &&
            (!out[i] || rank[band.severity] > rank[out[i]])) {
          out[i] = band.severity;
        }
      }
    });
    return out;
  }

  var bandsPlugin = {
    id: "jcreditBands",
    beforeDatasetsDraw: function (chart) {
      var opts = chart.options.plugins.jcreditBands;
      if (!opts) { return; }
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ORDER.forEach(function (severity) {
        var index = opts.datasetOf[severity];
        if (index === undefined || !chart.isDatasetVisible(index)) { return; }
        ctx.fillStyle = BANDS[severity].fill;
        opts.bands.forEach(function (band) {
          if (band.severity !== severity) { return; }
          var left = x.getPixelForValue(band.start * 1000);
          var right = x.getPixelForValue(band.end * 1000);
          var width = Math.max(right - left, 3); // one interval of many stays visible
          ctx.fillRect(left, area.top, width, area.bottom - area.top);
        });
      });
      ctx.restore();
    }
  };

  function draw() {
    var canvas = document.getElementById("site-chart");
    var source = document.getElementById("site-chart-data");
    if (!canvas || !source || canvas.dataset.drawn || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var marks = severities(data);
    var datasets = data.lines.map(function (line) {
      var points = line.data.map(function (v, i) {
        return {x: data.start[i] * 1000, y: v};
      });
      var set = {
        label: line.label, data: points, borderColor: COLOURS[line.key],
        backgroundColor: COLOURS[line.key], borderWidth: line.key === "generation" ? 1.6 : 1.2,
        pointRadius: 0, spanGaps: false, hidden: !!line.hidden, parsing: false
      };
      if (line.key === "clear_sky") {
        set.borderDash = [5, 4];
      }
      if (line.key === "generation") {
        set.pointRadius = function (ctx) { return marks[ctx.dataIndex] ? 2.5 : 0; };
        set.pointBackgroundColor = function (ctx) {
          var s = marks[ctx.dataIndex];
          return s ? BANDS[s].point : COLOURS.generation;
        };
        set.pointBorderWidth = 0;
      }
      return set;
    });
    var datasetOf = {};
    ["BLOCK", "HOLD", "FLAG"].forEach(function (severity) {
      if (!data.bands.some(function (b) { return b.severity === severity; })) { return; }
      datasetOf[severity] = datasets.length;
      // a legend entry for the bands (no data of its own; hiding it hides the bands)
      datasets.push({label: data.band_labels[severity], data: [], type: "bar",
                     backgroundColor: BANDS[severity].fill, borderColor: BANDS[severity].point,
                     borderWidth: 1});
    });
    var first = data.start[0] * 1000;
    var last = (data.start[data.start.length - 1] + data.seconds[data.seconds.length - 1]) * 1000;
    var days = (last - first) / DAY_MS;
    var step = days <= 16 ? 1 : (days <= 45 ? 3 : 7);
    canvas.dataset.drawn = "yes";
    new Chart(canvas, {
      type: "line",
      data: {datasets: datasets},
      plugins: [bandsPlugin],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: {mode: "nearest", axis: "x", intersect: false},
        plugins: {
          jcreditBands: {bands: data.bands, datasetOf: datasetOf},
          legend: {position: "top", labels: {boxWidth: 14}},
          tooltip: {callbacks: {title: function (items) {
            return items.length ? timeLabel(items[0].parsed.x) : "";
          }}}
        },
        scales: {
          x: {
            type: "linear", min: first, max: last,
            title: {display: true, text: data.x_title},
            afterBuildTicks: function (axis) {
              // a tick at each (or every 3rd, 7th) midnight in Japan
              var ticks = [];
              var t = Math.ceil((first + JST_MS) / DAY_MS) * DAY_MS - JST_MS;
              for (var n = 0; t <= last; t += DAY_MS, n++) {
                if (n % step === 0) { ticks.push({value: t}); }
              }
              axis.ticks = ticks;
            },
            ticks: {callback: function (value) { return dayLabel(value); },
                    maxRotation: 0, autoSkip: false}
          },
          y: {beginAtZero: true, title: {display: true, text: data.y_title}}
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
