// Live values of a site: server-sent events from /console/sites/<code>/live update the table in place.
(function () {
  "use strict";
  var table = document.getElementById("live-values");
  var status = document.getElementById("live-status");
  if (!table || !window.EventSource) { return; }
  var source = new EventSource(table.getAttribute("data-live"));
  source.onopen = function () { status.classList.add("on"); status.setAttribute("data-state", "open"); };
  source.onerror = function () { status.classList.remove("on"); status.setAttribute("data-state", "retrying"); };
  source.addEventListener("values", function (event) {
    JSON.parse(event.data).forEach(function (v) {
      var row = table.querySelector('tr[data-key="' + CSS.escape(v.parameter + "/" + v.interval) + '"]');
      if (!row) { return; }
      var time = new Date(v.t);
      var pad = function (n) { return String(n).padStart(2, "0"); };
      row.querySelector('[data-field="t"]').textContent = time.getFullYear() + "-" + pad(time.getMonth() + 1) + "-" +
        pad(time.getDate()) + " " + pad(time.getHours()) + ":" + pad(time.getMinutes());
      row.querySelector('[data-field="value"]').textContent = (v.value === null ? "—" : v.value) + " " + (v.unit || "");
      var qc = row.querySelector('[data-field="qc_flag"]');
      qc.textContent = v.qc_flag; qc.className = "qc-" + v.qc_flag;
      row.querySelector('[data-field="review_state"]').textContent = v.review_state;
      row.classList.add("updated");
    });
    table.setAttribute("data-events", String(Number(table.getAttribute("data-events") || 0) + 1));
  });
})();
