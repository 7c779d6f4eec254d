/* safi-mini.js: small maps of actor pages. Reads <div class="safi-mini-map" data-...>
   written by safi_map.maps.mini_map_html; no inline script needed (strict CSP). */
(function (window) {
  'use strict';
  var L = window.L, HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
  function init() {
    var nodes = window.document.querySelectorAll('.safi-mini-map');
    Array.prototype.forEach.call(nodes, function (el) {
      if (el._safiMap) { return; }
      var lat = parseFloat(el.getAttribute('data-lat')), lon = parseFloat(el.getAttribute('data-lon'));
      if (!isFinite(lat) || !isFinite(lon)) { return; }
      var zoom = parseInt(el.getAttribute('data-zoom'), 10) || 13;
      var map = L.map(el, { scrollWheelZoom: false, maxZoom: 18, minZoom: 5 }).setView([lat, lon], zoom);
      var tiles = el.getAttribute('data-tiles');
      if (tiles && /^https:\/\//.test(tiles)) {
        L.tileLayer(tiles, { subdomains: el.getAttribute('data-subdomains') || 'abc', attribution: el.getAttribute('data-attribution') || '', maxZoom: 18 }).addTo(map);
      }
      var colour = el.getAttribute('data-colour');
      var icons = window.SafiIcons || {};
      var name = el.getAttribute('data-icon');
      var d = Object.prototype.hasOwnProperty.call(icons, name) ? icons[name] : icons.dot;
      var icon = L.divIcon({
        className: 'safi-marker',
        html: '<span class="safi-pin" style="background:' + (HEX.test(colour) ? colour : '#1b9e77') + '"><svg viewBox="0 0 24 24" aria-hidden="true"><path fill-rule="evenodd" d="' + String(d || '').replace(/[^0-9A-Za-z .,\-]/g, '') + '"/></svg></span>',
        iconSize: [24, 24], iconAnchor: [12, 12]
      });
      L.marker([lat, lon], { icon: icon, title: el.getAttribute('data-label') || '', keyboard: false }).addTo(map);
      el._safiMap = map;
    });
  }
  if (window.document.readyState === 'loading') { window.document.addEventListener('DOMContentLoaded', init); } else { init(); }
})(window);
