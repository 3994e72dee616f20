// Real-time AQI map: one circle per station, filled with its HJ 633 level colour.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("aqi-markers").textContent);
  var markers = payload.markers;
  var map = L.map("aqi-map", { zoomSnap: 0.25 });
  var bounds = markers.map(function (m) { return [m.lat, m.lon]; });
  if (bounds.length) { map.fitBounds(bounds, { padding: [40, 40] }); } else { map.setView([39.9, 116.4], 9); }
  markers.forEach(function (m) {
    var label = m.name + (m.aqi === null ? "" : " " + m.aqi + " " + m.category) +
                (m.preliminary ? " (" + payload.preliminary + ")" : "");
    var circle = L.circleMarker([m.lat, m.lon], {
      radius: 11, color: "#333", weight: 1, fillColor: m.colour, fillOpacity: 0.9, className: "aqi-marker"
    }).addTo(map);
    circle.bindTooltip(label, { permanent: true, direction: "right", className: "aqi-label" });
    circle.on("click", function () { window.location.href = "/station/" + encodeURIComponent(m.code); });
    circle.getElement().setAttribute("data-station", m.code);
  });
  L.control.scale({ imperial: false }).addTo(map);
})();
