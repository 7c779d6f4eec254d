/* legend.js: theme colours and icons, and the scale of the commune counts.
   The legend and the layers menu are exclusive: opening one closes the other (layers.js). */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, swatch = u.swatch, overlaps = u.overlaps;

  function addLegend(app, o) {
    var ctl = L.control({ position: o.position || 'bottomright' });
    ctl.onAdd = function () {
      var div = h('div', { 'class': 'safi-legend leaflet-bar' });
      var det = h('details');
      if (o.open !== false && window.innerWidth > 800 && window.innerHeight > 700) { det.setAttribute('open', ''); }
      det.appendChild(h('summary', null, app.label('legend')));
      var ul = h('ul');
      app.data.themes.forEach(function (t) {
        var li = h('li');
        li.appendChild(swatch(t.colour, t.icon));
        li.appendChild(document.createTextNode(t.label));
        ul.appendChild(li);
      });
      if (app.eventLayer && app.eventLayer.upcoming) {
        var ev = h('li'), pin = h('span', { 'class': 'safi-event-pin safi-event-pin-small', 'aria-hidden': 'true' });
        var tpl = document.createElement('template');
        tpl.innerHTML = u.iconSvg('calendar');  /* our own constant icon, never data */
        pin.appendChild(tpl.content);
        ev.appendChild(pin);
        ev.appendChild(document.createTextNode(app.label('event_layer')));
        ul.appendChild(ev);
      }
      det.appendChild(ul);
      if (app.choropleth) {
        det.appendChild(h('p', { 'class': 'safi-legend-scale-title' }, app.label('count_scale')));
        var scale = h('ul', { 'class': 'safi-legend-scale' });
        SafiMap.CHORO_BREAKS.forEach(function (b, k) {
          var li = h('li'), sw = h('span', { 'class': 'safi-swatch safi-swatch-square', 'aria-hidden': 'true' });
          sw.style.backgroundColor = SafiMap.CHORO_COLOURS[k];
          li.appendChild(sw);
          var next = SafiMap.CHORO_BREAKS[k + 1];
          li.appendChild(document.createTextNode(next ? (next - 1 === b ? String(b) : b + '–' + (next - 1)) : b + '+'));
          scale.appendChild(li);
        });
        det.appendChild(scale);
      }
      div.appendChild(det);
      // The legend and the layers menu are exclusive: opening one closes the other.
      app.legendDetails = det;
      det.addEventListener('toggle', function () {
        if (!det.open) { return; }
        if (app.layerControl) { app.layerControl.collapse(); }
        var open = app.currentPopup ? app.currentPopup() : (app.map.hasLayer(app.popup) ? app.popup : null);
        if (open && overlaps(div, open.getElement())) { app.map.closePopup(open); }
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(app.map);
  }

  SafiMap.control('addLegend', addLegend);
})(window, window.SafiMap);
