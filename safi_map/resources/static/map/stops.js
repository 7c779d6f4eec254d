/* stops.js: the tour stops (date, venue, number of actors surveyed there). */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var u = SafiMap.util;
  var h = u.h, iconSvg = u.iconSvg, formatDate = u.formatDate;

  function addStops(app) {
    var d = app.data;
    if (!d.stops.length) { return; }
    var icon = L.divIcon({
      className: 'safi-stop-marker',
      html: '<span class="safi-stop-pin">' + iconSvg('star') + '</span>',
      /* Up and to the right of the town's point: a cluster drawn there stays readable. */
      iconSize: [30, 30], iconAnchor: [-6, 32], popupAnchor: [21, -30]
    });
    var group = L.layerGroup();
    d.stops.forEach(function (s) {
      if (s.lat === null || s.lon === null) { return; }
      var m = L.marker([s.lat / 1e5, s.lon / 1e5], { icon: icon, title: s.town + ' — ' + formatDate(s.date), zIndexOffset: 1000, keyboard: true });
      m.bindPopup(function () {
        var root = h('div', { 'class': 'safi-card safi-stop-card' });
        root.appendChild(h('h3', null, s.town));
        root.appendChild(h('p', null, formatDate(s.date) + (s.venue ? ' · ' + s.venue : '')));
        root.appendChild(h('p', null, app.count(s.count, 'stop_actors_one', 'stop_actors_many')));
        var btn = h('button', { type: 'button', 'class': 'safi-show' }, app.label('filter_stop'));
        btn.addEventListener('click', function () { app.map.closePopup(); app.setState({ stop: s.id }, { push: true }); });
        root.appendChild(btn);
        return root;
      }, { className: 'safi-popup' });
      group.addLayer(m);
    });
    group.addTo(app.map);
    app.addOverlay('stops', app.label('layer_stops'), group);
  }

  SafiMap.control('addStops', addStops);
})(window, window.SafiMap);
