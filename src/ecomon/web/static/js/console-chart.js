// Series chart: values over time, suspect (QC 3) and failed (QC 4) points marked, preliminary values named.
// Data come embedded (#series-rows, the series page) or from the JSON API on the chart form (the site page).
(function () {
  "use strict";
  var el = document.getElementById("series-chart");
  if (!el) { return; }
  var chart = echarts.init(el);
  var QC_COLOURS = { 3: "#F28A1B", 4: "#D7263D" };

  // The nominal spacing of each interval kind, to break the line where data are missing.
  var STEP_MS = { raw: 60000, minute: 60000, hour: 3600000, day: 86400000 };
  // Without a start date the chart shows this much before the newest value (not the whole history).
  var RECENT_MS = { raw: 86400000, minute: 86400000, hour: 7 * 86400000, day: 365 * 86400000 };

  function draw(rows, interval, unit, labels) {
    var points = [];
    var step = STEP_MS[interval] || STEP_MS.hour;
    rows.forEach(function (r, i) {
      var qc = r.qc_flag;
      if (i > 0 && Date.parse(r.t) - Date.parse(rows[i - 1].t) > 3 * step) {
        points.push({ value: [r.t, null] });   // a gap: no line drawn across missing data
      }
      points.push({ value: [r.t, r.value], qc: qc, review: r.review_label || "",
                    itemStyle: QC_COLOURS[qc] ? { color: QC_COLOURS[qc] } : undefined,
                    symbolSize: QC_COLOURS[qc] ? 8 : 3 });
    });
    chart.setOption({
      animation: false,
      title: rows.length ? undefined : { text: labels.empty, left: "center", top: "middle", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", formatter: function (items) {
        var p = items[0].data;
        if (p.value[1] === null) { return ""; }
        var extra = p.qc === 3 ? " (" + labels.suspect + ")" : p.qc === 4 ? " (" + labels.fail + ")" : "";
        if (p.review === "preliminary") { extra += " (" + labels.preliminary + ")"; }
        var when = new Date(p.value[0]).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
        return when + "<br>" + p.value[1] + " " + (unit || "") + extra;
      } },
      grid: { left: 55, right: 20, top: 30, bottom: 60 },
      xAxis: { type: "time" }, yAxis: { type: "value", name: unit || "" },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 10 }],
      series: [{ type: "line", showSymbol: true, connectNulls: false, data: points, step: interval === "day" ? "middle" : false }]
    }, true);
    el.setAttribute("data-rendered", String(rows.length));
  }

  var embedded = document.getElementById("series-rows");
  if (embedded) {
    var data = JSON.parse(embedded.textContent);
    draw(data.rows, data.interval, data.unit, data.labels);
  }
  var form = document.getElementById("chart-form");
  if (form) {
    var labels = JSON.parse(form.getAttribute("data-labels"));
    var load = function () {
      var site = encodeURIComponent(form.getAttribute("data-site"));
      var interval = form.elements.interval.value;
      var params = new URLSearchParams({ parameter: form.elements.parameter.value, limit: "1000" });
      if (form.elements.from.value) { params.set("from", form.elements.from.value); }
      if (form.elements.to.value) { params.set("to", form.elements.to.value); }
      var base = interval === "day" ? "/api/v1/sites/" + site + "/aggregates?"
                                     : "/api/v1/sites/" + site + "/observations?";
      if (interval === "day") { params.set("kind", "day"); } else { params.set("interval", interval); }
      var get = function () {
        return fetch(base + params, { credentials: "same-origin" }).then(function (r) { return r.json(); });
      };
      get().then(function (body) {
          // Without a start date, show the newest values: the last page of the series.
          var found = (body.meta || {}).found || 0;
          if (!form.elements.from.value && found > 1000) {
            params.set("page", String(Math.ceil(found / 1000)));
            return get();
          }
          return body;
        })
        .then(function (body) {
          var rows = body.results || [];
          if (!form.elements.from.value && rows.length) {
            var newest = Date.parse(rows[rows.length - 1].t);
            var span = RECENT_MS[interval] || RECENT_MS.hour;
            rows = rows.filter(function (r) { return Date.parse(r.t) >= newest - span; });
          }
          draw(rows, interval, (body.meta || {}).unit, labels);
        });
    };
    form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
    form.addEventListener("change", load);
    if (form.elements.parameter.value) { load(); }
  }
  window.addEventListener("resize", function () { chart.resize(); });
})();
