// Overview map: one circle per site, filled with its AQI level, water class or lifecycle-state colour.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("console-markers").textContent);
  var markers = payload.markers;
  var map = L.map("console-map", { zoomSnap: 0.25 });
  var bounds = markers.map(function (m) { return [m.lat, m.lon]; });
  if (bounds.length) { map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 }); } else { map.setView([39.9, 116.4], 9); }
  markers.forEach(function (m) {
    var permanent = markers.length <= 40;
    // Permanent labels are kept short so neighbours stay readable; the table beside the map has the full status.
    var label = permanent ? m.name + " " + m.status.replace(/^AQI /, "").split(" ")[0]
                          : m.name + " " + m.status + (m.preliminary ? " (" + payload.preliminary + ")" : "");
    var circle = L.circleMarker([m.lat, m.lon], {
      radius: 10, color: "#333", weight: 1, fillColor: m.colour, fillOpacity: 0.9, className: "site-marker"
    }).addTo(map);
    // Names stay on the map while they fit (a city's stations); a province's network shows them on hover.
    circle.bindTooltip(label, { direction: "right", className: "aqi-label", permanent: permanent });
    circle.on("click", function () { window.location.href = "/console/sites/" + encodeURIComponent(m.code); });
    circle.getElement().setAttribute("data-site", m.code);
  });
  L.control.scale({ imperial: false }).addTo(map);
})();
