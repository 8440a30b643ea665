// Draws the page's charts with the vendored Apache ECharts from JSON data blocks the server wrote.
// Data arrive as JSON (never as markup); series names are set as text by ECharts.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function mark(el) { el.setAttribute("data-drawn", "1"); }

  function sparklines() {
    var sparks = data("sparks-data");
    if (!sparks) return;
    document.querySelectorAll("[data-spark]").forEach(function (el) {
      var s = sparks[Number(el.getAttribute("data-spark"))];
      if (!s || !s.counts.length) { el.textContent = "–"; return; }
      var chart = echarts.init(el, null, {renderer: "svg", width: 140, height: 32});
      chart.setOption({
        animation: false, grid: {left: 1, right: 1, top: 2, bottom: 2},
        xAxis: {type: "category", show: false, data: s.periods},
        yAxis: {type: "value", show: false, min: 0},
        tooltip: {trigger: "axis", confine: true},
        series: [{type: "line", data: s.counts, symbol: "none", lineStyle: {width: 1.5}, areaStyle: {opacity: 0.15}}]
      });
      mark(el);
    });
  }

  function alertChart() {
    var c = data("alert-chart-data"), L = data("chart-labels"), el = document.getElementById("alert-chart");
    if (!c || !el) return;
    var chart = echarts.init(el, null, {renderer: "svg"});
    // a flagged period is one category: a wide translucent vertical line marks it
    var flags = c.flagged.map(function (f) {
      return {xAxis: f.period, lineStyle: {width: f["this"] ? 18 : 10, type: "solid", opacity: 0.18,
                                           color: f.direction === "drop" ? "#0b5394" : "#b00020"},
              label: {formatter: L.flagged, position: "end"}};
    });
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 40, right: 20, top: 48, bottom: 50},
      xAxis: {type: "category", data: c.periods},
      yAxis: {type: "value", min: 0},
      dataZoom: [{type: "inside"}, {type: "slider", height: 16, bottom: 8}],
      series: [
        {name: L.observed, type: "line", data: c.observed, connectNulls: false, symbolSize: 5,
         markLine: {silent: true, symbol: "none", data: flags}},
        {name: L.expected, type: "line", data: c.expected, connectNulls: true, lineStyle: {type: "dashed"}, symbol: "diamond", symbolSize: 8},
        {name: L.upper, type: "line", data: c.upper, connectNulls: true, lineStyle: {type: "dotted"}, symbol: "triangle", symbolSize: 7},
        {name: L.lower, type: "line", data: c.lower, connectNulls: true, lineStyle: {type: "dotted"}, symbol: "triangle", symbolRotate: 180, symbolSize: 7}
      ]
    });
    mark(el);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function trendChart() {
    var c = data("trend-chart-data"), names = data("trend-labels"), el = document.getElementById("trend-chart");
    if (!c || !el) return;
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {top: 0, type: "scroll"},
      grid: {left: 40, right: 20, top: 40, bottom: 50},
      xAxis: {type: "category", data: c.periods},
      yAxis: {type: "value", min: 0},
      dataZoom: [{type: "inside"}, {type: "slider", height: 16, bottom: 8}],
      series: c.series.map(function (s, i) {
        return {name: (names && names[i]) || s.series, type: "line", data: s.counts, symbolSize: 4};
      })
    });
    mark(el);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    sparklines(); alertChart(); trendChart();
  });
})();
