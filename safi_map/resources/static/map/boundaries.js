/* boundaries.js: commune outlines coloured by their number of actors, department outlines. */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var u = SafiMap.util;
  var h = u.h, number = u.number, now = u.now, loadBlock = u.loadBlock;

  var CHORO_BREAKS = [1, 3, 10, 30, 100, 300];
  var CHORO_COLOURS = ['#d6e6f4', '#abcfe5', '#82badb', '#4f9bcb', '#2373b5', '#08468b'];

  function choroColour(n) {
    var c = null;
    for (var k = 0; k < CHORO_BREAKS.length; k++) { if (n >= CHORO_BREAKS[k]) { c = CHORO_COLOURS[k]; } }
    return c;
  }

  function addBoundaries(app, o) {
    var t0 = now();
    return (app._boundariesBlock || loadBlock(o.data_id || 'safi-boundaries')).then(function (b) {
      app.timings.boundariesDecode = now() - t0;
      var t1 = now();
      if (b) { showBoundaries(app, b); }
      app.timings.boundaries = now() - t1;
    });
  }

  function showBoundaries(app, b) {
    app.communeShapes = b.communes || null;  /* near.js places the region's communes with it */
    if (b.communes) {
      /* Canvas, not SVG: 950 polygons draw and restyle several times faster. */
      var layer = L.geoJSON(b.communes, {
        renderer: L.canvas({ padding: 0.3 }),
        style: function () { return { weight: 0.4, color: '#7a7a7a', fillOpacity: 0, opacity: 0.6 }; },
        onEachFeature: function (f, lyr) {
          lyr.bindTooltip(function () {
            var k = app.communeIndex[f.properties.code_insee];
            var n = k === undefined || !app.counts ? 0 : app.counts.communes[k];
            return h('span', null, app.label('commune_actors', { name: f.properties.nom, n: number(n) }));
          }, { sticky: true });
          lyr.on('click', function () {
            var code = f.properties.code_insee;
            if (!(code in app.communeIndex)) { return; }
            app.setState({ commune: app.state.commune === code ? '' : code }, { push: true });
          });
        }
      });
      app.choropleth = layer;
      var restyle = function () {
        if (!app.counts) { return; }
        layer.eachLayer(function (lyr) {
          var code = lyr.feature.properties.code_insee, k = app.communeIndex[code];
          var n = k === undefined ? 0 : app.counts.communes[k];
          var colour = n ? choroColour(n) : null;
          var selected = app.state.commune === code;
          var styleKey = (colour || '') + (selected ? '!' : '');
          if (lyr._safiStyle === styleKey) { return; }  /* unchanged: no SVG update */
          lyr._safiStyle = styleKey;
          lyr.setStyle({
            fillColor: colour || '#ffffff', fillOpacity: colour ? 0.5 : 0,
            weight: selected ? 2.5 : 0.4, color: selected ? '#222222' : '#7a7a7a'
          });
        });
      };
      app.on('change', restyle);
      app.on('ready', restyle);
      if (!app.counts) { app.compute(); }
      restyle();
      layer.addTo(app.map);
      app.addOverlay('communes', app.label('layer_communes'), layer);
    }
    if (b.departments) {
      var dep = L.geoJSON(b.departments, {
        style: function () { return { weight: 1.6, color: '#4a4a4a', fill: false, opacity: 0.9 }; },
        interactive: false
      }).addTo(app.map);
      app.addOverlay('departments', app.label('layer_departments'), dep);
    }
    if (app.choropleth) { app.choropleth.bringToBack(); }
  }
  SafiMap.CHORO_BREAKS = CHORO_BREAKS;
  SafiMap.CHORO_COLOURS = CHORO_COLOURS;
  /* Start decoding the outlines at the call, alongside the actors. */
  SafiMap.control('addBoundaries', addBoundaries, function (app, o) {
    app._boundariesBlock = loadBlock(o.data_id || 'safi-boundaries');
  });
})(window, window.SafiMap);
