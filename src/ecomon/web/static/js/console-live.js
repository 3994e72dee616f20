// Live values of a site: server-sent events from /console/sites/<code>/live update the table in place.
(function () {
  "use strict";
  var table = document.getElementById("live-values");
  var status = document.getElementById("live-status");
  if (!table || !window.EventSource) { return; }
  var labels = JSON.parse(document.getElementById("live-labels").textContent);
  // Times are shown in China Standard Time whatever the browser's zone (as the server renders them).
  var local = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                                                 day: "2-digit", hour: "2-digit", minute: "2-digit" });
  var source = new EventSource(table.getAttribute("data-live"));
  source.onopen = function () { status.classList.add("on"); status.setAttribute("data-state", "open"); };
  source.onerror = function () { status.classList.remove("on"); status.setAttribute("data-state", "retrying"); };
  source.addEventListener("values", function (event) {
    JSON.parse(event.data).forEach(function (v) {
      var row = table.querySelector('tr[data-key="' + CSS.escape(v.parameter + "/" + v.interval) + '"]');
      if (!row) { return; }
      row.querySelector('[data-field="t"]').textContent = local.format(new Date(v.t));
      row.querySelector('[data-field="value"]').textContent =
        (v.value === null ? "—" : Number(v.value.toPrecision(6))) + " " + (v.unit || "");
      var qc = row.querySelector('[data-field="qc_flag"]');
      qc.textContent = labels.qc[v.qc_flag] || v.qc_flag; qc.className = "qc-" + v.qc_flag;
      row.querySelector('[data-field="review_state"]').textContent = labels.review[v.review_state] || v.review_state;
      row.classList.add("updated");
    });
    table.setAttribute("data-events", String(Number(table.getAttribute("data-events") || 0) + 1));
  });
})();
