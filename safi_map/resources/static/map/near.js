/* near.js: "Près de moi". A button asks the browser for the visitor's position
   (navigator.geolocation); whoever refuses, or has no position, types a commune instead
   (every commune of the region when the outlines are on the page, else the communes that have
   actors). The directory is then sorted by distance, each card says "à 2,3 km", and the map
   moves to the point and the nearest actors. The position never leaves the browser and is not
   written into the URL. */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, fold = u.fold;
  var RAD = Math.PI / 180;
  var DISTANCE = window.Intl && window.Intl.NumberFormat
    ? new window.Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }) : null;

  /* Great-circle distance in km (haversine, mean Earth radius). */
  function km(lat1, lon1, lat2, lon2) {
    var dLat = (lat2 - lat1) * RAD, dLon = (lon2 - lon1) * RAD;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 12742 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /* "850 m", "2,3 km", "12 km" (French decimal comma, non-breaking space before the unit). */
  function distanceText(d) {
    var f = function (x) { return DISTANCE ? DISTANCE.format(x) : String(x); };
    if (d < 1) { return f(Math.max(10, Math.round(d * 100) * 10)) + '\u00a0m'; }
    if (d < 10) { return f(Math.round(d * 10) / 10) + '\u00a0km'; }
    return f(Math.round(d)) + '\u00a0km';
  }

  /* A point for a commune's polygon: the area-weighted centroid of its largest ring. */
  function ringCentre(geometry) {
    var polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    var best = null, bestArea = 0;
    polys.forEach(function (poly) {
      var ring = poly[0] || [], a = 0, cx = 0, cy = 0;
      for (var k = 0, j = ring.length - 1; k < ring.length; j = k++) {
        var cross = ring[j][0] * ring[k][1] - ring[k][0] * ring[j][1];
        a += cross; cx += (ring[j][0] + ring[k][0]) * cross; cy += (ring[j][1] + ring[k][1]) * cross;
      }
      if (Math.abs(a) > bestArea) { bestArea = Math.abs(a); best = [cy / (3 * a), cx / (3 * a)]; }
    });
    return best;
  }

  /* The communes one can type: the region's (outlines), else those with actors (their mean). */
  function communePlaces(app) {
    var out = [], seen = Object.create(null);
    var add = function (name, dep, code, lat, lon) {
      if (seen[code]) { return; }
      seen[code] = true;
      out.push({ text: name + ' (' + dep + ')', name: name, code: code, lat: lat, lon: lon });
    };
    var shapes = app.communeShapes;
    if (shapes && shapes.features) {
      shapes.features.forEach(function (f) {
        var p = f.properties || {}, c = f.geometry ? ringCentre(f.geometry) : null;
        if (c && p.code_insee) { add(String(p.nom || p.code_insee), String(p.code_insee).slice(0, 2), String(p.code_insee), c[0], c[1]); }
      });
    }
    var sum = Object.create(null);
    for (var i = 0; i < app.n; i++) {
      var k = app.commune[i];
      if (k < 0 || !app.hasLoc[i]) { continue; }
      var s = sum[k] || (sum[k] = [0, 0, 0]);
      s[0] += app.lat[i]; s[1] += app.lon[i]; s[2]++;
    }
    app.data.communes.forEach(function (c, k) {
      if (sum[k]) { add(c.name, c.dep, c.code, sum[k][0] / sum[k][2], sum[k][1] / sum[k][2]); }
    });
    out.forEach(function (p) { p.key = fold(p.text); });
    out.sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
    return out;
  }

  function NearMe(app, o) {
    var self = this;
    this.app = app;
    var root = document.getElementById(o.container);
    if (!root) { return; }
    this.places = null;  /* made when the commune field is first used (not at page load) */
    var box = h('div', { 'class': 'safi-near', role: 'group', 'aria-labelledby': 'safi-near-title' });
    box.appendChild(h('h3', { id: 'safi-near-title' }, app.label('near_title')));
    this.locate = h('button', { type: 'button', 'class': 'safi-show safi-near-locate' }, app.label('near_locate'));
    this.locate.addEventListener('click', function () { self.geolocate(); });
    box.appendChild(this.locate);
    box.appendChild(h('label', { 'for': 'safi-near-commune' }, app.label('near_commune')));
    this.input = h('input', { type: 'text', id: 'safi-near-commune', list: 'safi-near-communes', autocomplete: 'off', placeholder: app.label('commune_placeholder'), 'aria-describedby': 'safi-near-msg' });
    this.list = h('datalist', { id: 'safi-near-communes' });
    this.input.addEventListener('focus', function () { self._places(); });
    var choose = function () { self.fromCommune(); };
    this.input.addEventListener('change', choose);
    this.input.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { ev.preventDefault(); choose(); } });
    box.appendChild(this.input);
    box.appendChild(this.list);
    this.msg = h('p', { id: 'safi-near-msg', 'class': 'safi-near-msg', role: 'status', 'aria-live': 'polite' });
    box.appendChild(this.msg);
    this.clear = h('button', { type: 'button', 'class': 'safi-show safi-near-clear' }, app.label('near_clear'));
    this.clear.hidden = true;
    this.clear.addEventListener('click', function () { self.set(null); self.locate.focus(); });
    box.appendChild(this.clear);
    var title = root.querySelector('h2');
    root.insertBefore(box, title ? title.nextSibling : root.firstChild);
    app.nearMe = this;
  }

  NearMe.prototype = {
    /* The communes one can type, and their suggestions (about 950 in the region). */
    _places: function () {
      if (this.places) { return; }
      var self = this, frag = document.createDocumentFragment(), homonyms = Object.create(null);
      this.places = communePlaces(this.app);
      this.byText = Object.create(null);
      this.places.forEach(function (p) { var f = fold(p.name); homonyms[f] = (homonyms[f] || 0) + 1; });
      this.places.forEach(function (p) {
        self.byText[fold(p.text)] = p;
        if (homonyms[fold(p.name)] === 1) { self.byText[fold(p.name)] = p; }
        frag.appendChild(h('option', { value: p.text }));
      });
      this.list.appendChild(frag);
    },
    geolocate: function () {
      var self = this, app = this.app, geo = window.navigator.geolocation;
      if (!geo) { this.msg.textContent = app.label('near_refused'); this.input.focus(); return; }
      this.msg.textContent = app.label('near_locating');
      geo.getCurrentPosition(function (pos) {
        self.set({ lat: pos.coords.latitude, lon: pos.coords.longitude, label: app.label('near_you') });
      }, function () {
        self.msg.textContent = app.label('near_refused');
        self.input.focus();
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    },
    fromCommune: function () {
      var v = this.input.value.trim();
      if (!v) { return; }
      this._places();
      var p = this.byText[fold(v)];
      if (!p) { this.msg.textContent = this.app.label('unknown_commune'); return; }
      this.set({ lat: p.lat, lon: p.lon, label: p.name });
    },
    /* Sort the directory from `origin` ({lat, lon, label}), or stop sorting (null). */
    set: function (origin) {
      var app = this.app, n = app.n;
      if (this.marker) { app.map.removeLayer(this.marker); this.marker = null; }
      if (!origin) {
        app.near = null;
        this.input.value = '';
        this.msg.textContent = '';
        this.clear.hidden = true;
        app._emit('near');
        return;
      }
      var dist = new Float64Array(n), located = [], rest = [], i;
      for (i = 0; i < n; i++) {
        if (app.hasLoc[i]) { dist[i] = km(origin.lat, origin.lon, app.lat[i], app.lon[i]); located.push(i); } else { dist[i] = Infinity; rest.push(i); }
      }
      /* Every row once, in distance order (ties in directory order), those without a place last:
         a filter then keeps its rows in this order in one pass, without sorting again. */
      located.sort(function (a, b) { return (dist[a] - dist[b]) || (a - b); });
      var order = Int32Array.from(located.concat(rest));
      app.near = {
        origin: origin,
        distance: dist,
        sort: function (idx) {
          var mark = new Uint8Array(n), out = [], k;
          for (k = 0; k < idx.length; k++) { mark[idx[k]] = 1; }
          for (k = 0; k < n; k++) { if (mark[order[k]]) { out.push(order[k]); } }
          return out;
        },
        text: function (i) { return app.label('near_distance', { d: distanceText(dist[i]) }); }
      };
      this.marker = L.circleMarker([origin.lat, origin.lon], { radius: 9, color: '#b3261e', weight: 3, fillColor: '#ffffff', fillOpacity: 0.9, interactive: false })
        .bindTooltip(origin.label).addTo(app.map);
      this.msg.textContent = app.label('near_sorted', { place: origin.label });
      this.clear.hidden = false;
      app._emit('near');
      this.fit();
    },
    /* The map shows the point and the five nearest actors that match the filters. */
    fit: function () {
      var app = this.app, near = app.near, idx = [];
      for (var i = 0; i < app.n; i++) { if (app.match[i] && app.hasLoc[i]) { idx.push(i); } }
      idx = near.sort(idx).slice(0, 5);
      var b = L.latLngBounds([[near.origin.lat, near.origin.lon], [near.origin.lat, near.origin.lon]]);
      idx.forEach(function (k) { b.extend([app.lat[k], app.lon[k]]); });
      app.map.fitBounds(b, { paddingTopLeft: [50, 50], paddingBottomRight: [50, 90], maxZoom: 14, animate: false });
    }
  };

  SafiMap.distanceText = distanceText;
  SafiMap.control('addNearMe', function (app, o) { new NearMe(app, o); });
})(window, window.SafiMap);
