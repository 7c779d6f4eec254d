// Small Leaflet maps of the commune, stop and actor pages.
// Data comes from <script type="application/json" id="minimap-data"> (escaped by the builder);
// names are inserted with textContent only, never as HTML.
(function () {
  "use strict";
  var holder = document.getElementById("minimap");
  var source = document.getElementById("minimap-data");
  if (!holder || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var points = data.points || [];
  if (!points.length) { return; }

  var bounds = points.map(function (p) { return [p.lat, p.lon]; });
  var map = L.map(holder, { scrollWheelZoom: false });
  // The view must exist before vector layers are added.
  if (bounds.length === 1) {
    map.setView(bounds[0], 14);
  } else {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  }
  if (window.SAFI_OUTLINES) {
    L.geoJSON(window.SAFI_OUTLINES, {
      interactive: false,
      style: { color: "#7a8896", weight: 1, fill: true, fillColor: "#f7f7f2", fillOpacity: 1 }
    }).addTo(map);
  }
  // The communes' outlines over the departments: offline (no tiles) the page still says where
  // the actor is; online they sit under the tiles' own labels.
  if (window.SAFI_COMMUNES) {
    L.geoJSON(window.SAFI_COMMUNES, {
      interactive: false,
      style: { color: "#9aa5b1", weight: 0.8, fill: false }
    }).addTo(map);
  }
  if (data.tiles) {
    L.tileLayer(data.tiles, {
      maxZoom: data.max_zoom || 19,
      subdomains: data.subdomains || "abc",
      attribution: data.attribution
    }).addTo(map);
  }

  function tip(point) {
    var box = document.createElement("div");
    box.className = "minimap-tip";
    if (point.current) {
      box.textContent = point.name;
    } else {
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      box.appendChild(link);
    }
    return box;
  }

  // Actors geocoded to the same point (often the commune's point) would hide one another:
  // one marker shows how many they are and its popup lists them.
  var groups = Object.create(null), order = [];
  points.forEach(function (p) {
    var key = Number(p.lat).toFixed(5) + "," + Number(p.lon).toFixed(5);
    if (!groups[key]) { groups[key] = []; order.push(key); }
    groups[key].push(p);
  });

  function listTip(group) {
    var box = document.createElement("div");
    box.className = "minimap-tip";
    var title = document.createElement("p");
    title.textContent = group.length + " structures à cet endroit";
    box.appendChild(title);
    var ul = document.createElement("ul");
    group.forEach(function (p) { var li = document.createElement("li"); li.appendChild(tip(p)); ul.appendChild(li); });
    box.appendChild(ul);
    return box;
  }

  var current = null;
  order.forEach(function (key) {
    var group = groups[key], p = group[0];
    var here = group.filter(function (q) { return q.current; }).length > 0;
    if (group.length > 1) {
      var span = document.createElement("span");
      span.textContent = String(group.length);
      var icon = L.divIcon({
        className: "minimap-count" + (here ? " minimap-count-current" : ""),
        html: span.outerHTML, iconSize: [30, 30], iconAnchor: [15, 15]
      });
      L.marker([p.lat, p.lon], { icon: icon, title: group.length + " structures à cet endroit", keyboard: true, zIndexOffset: here ? 1000 : 0 })
        .bindPopup(listTip(group)).addTo(map);
      return;
    }
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: p.current ? 10 : 7,
      color: p.current ? "#1d2730" : "#ffffff",
      weight: p.current ? 3 : 1.5,
      fillColor: p.colour,
      fillOpacity: 0.9
    }).bindPopup(tip(p)).addTo(map);
    if (p.current) { current = marker; }
  });
  if (current) { current.bringToFront(); }
})();
