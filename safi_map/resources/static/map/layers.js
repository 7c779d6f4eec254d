/* layers.js: base maps and the layers menu (exclusive with the legend; never over the popup). */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var u = SafiMap.util;
  var overlaps = u.overlaps;

  function addBaseLayers(app, o) {
    var bases = {}, first = null;
    app.baseLayers = {};
    (o.bases || []).forEach(function (b) {
      var layer = b.url ? L.tileLayer(b.url, {
        attribution: b.attribution, subdomains: b.subdomains || 'abc', maxZoom: b.max_zoom || 18,
        maxNativeZoom: Math.min(b.max_zoom || 18, 19), detectRetina: false, crossOrigin: false
      }) : L.layerGroup();
      layer._safiBase = b.id;
      app.baseLayers[b.id] = layer;
      bases[app.label('base_' + b.id)] = layer;
      if (!first) { first = b.id; }
    });
    app.defaultBase = first;
    app.base = first;
    if (first) { app.baseLayers[first].addTo(app.map); }
    var overlays = {};
    overlays[app.label('layer_actors')] = app.actorsLayer;
    app.layerControl = L.control.layers(bases, overlays, { collapsed: true, position: 'topright' }).addTo(app.map);
    var closeLegend = function () { if (app.legendDetails && app.legendDetails.open) { app.legendDetails.open = false; } };
    ['mouseenter', 'click', 'focusin', 'touchstart'].forEach(function (ev) {
      app.layerControl.getContainer().addEventListener(ev, closeLegend, { passive: true });
    });
    /* The open popup: an actor's, a stop's or an event's. */
    var open = null;
    app.map.on('popupopen', function (e) { open = e.popup; });
    app.map.on('popupclose', function (e) { if (open === e.popup) { open = null; } });
    app.currentPopup = function () { return open && app.map.hasLayer(open) ? open : null; };
    var popupEl = function () { return app.currentPopup() ? open.getElement() : null; };
    // An open panel and the popup never cover each other: the newest one stays.
    app.closePanels = function () {
      var p = popupEl();
      if (app.legendDetails && overlaps(app.legendDetails.parentNode, p)) { closeLegend(); }
      if (overlaps(app.layerControl.getContainer(), p)) { app.layerControl.collapse(); }
    };
    app.map.on('popupopen', function () { app.closePanels(); setTimeout(app.closePanels, 300); });
    var expand = app.layerControl.expand;
    app.layerControl.expand = function () {
      var r = expand.apply(this, arguments);
      closeLegend();
      if (open && overlaps(this.getContainer(), popupEl())) { app.map.closePopup(open); }
      return r;
    };
    (app.overlays || []).forEach(function (ov) { if (!ov.inControl) { app.layerControl.addOverlay(ov.layer, ov.label); ov.inControl = true; } });
    app.map.on('baselayerchange', function (e) {
      if (e.layer && e.layer._safiBase) { app.base = e.layer._safiBase; app._emit('replace'); }
    });
    app.setBase = function (id) {
      if (!id || !app.baseLayers[id]) { id = app.defaultBase; }
      if (id === app.base) { return; }
      app.map.removeLayer(app.baseLayers[app.base]);
      app.baseLayers[id].addTo(app.map);
      app.base = id;
    };
  }

  SafiMap.control('addBaseLayers', addBaseLayers);
})(window, window.SafiMap);
