// 24-hour chart of the AQI pollutants; preliminary points are drawn hollow and named in the tooltip.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("chart-data").textContent);
  var el = document.getElementById("station-chart");
  if (!payload.chart) { return; }
  var chart = echarts.init(el);
  var data = payload.chart;
  var names = { "SO2": "SO₂", "NO2": "NO₂", "CO": "CO (mg/m³)", "O3": "O₃", "PM10": "PM₁₀", "PM2.5": "PM₂.₅" };
  var series = Object.keys(data.series).map(function (key) {
    return {
      name: names[key] || key, type: "line", yAxisIndex: key === "CO" ? 1 : 0, connectNulls: false,
      data: data.series[key].map(function (v, i) {
        return { value: v, preliminary: data.preliminary[key][i],
                 itemStyle: data.preliminary[key][i] ? { color: "#fff", borderType: "dashed" } : undefined };
      })
    };
  });
  var anyPreliminary = Object.keys(data.preliminary).some(function (k) {
    return data.preliminary[k].some(function (p) { return p; });
  });
  chart.setOption({
    animation: false,
    title: anyPreliminary ? { text: "(" + payload.labels.preliminary + ")", left: 60, top: 0,
                              textStyle: { fontSize: 12, color: "#b54708" } } : undefined,
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var lines = [items[0].axisValue];
        items.forEach(function (it) {
          if (it.data.value === null) { return; }
          lines.push(it.marker + it.seriesName + ": " + it.data.value +
                     (it.data.preliminary ? " (" + payload.labels.preliminary + ")" : ""));
        });
        return lines.join("<br>");
      }
    },
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.hours },
    yAxis: [{ type: "value", name: "µg/m³" }, { type: "value", name: "mg/m³" }],
    series: series
  });
  el.setAttribute("data-rendered", "true");
  window.addEventListener("resize", function () { chart.resize(); });
})();
