/* safi-map.js: the filterable actor map of safi-map (Leaflet + our clusterer, safi-cluster.js).

   Data arrive once, as a JSON block written by safi_map.maps (columnar, public fields only).
   Coordinates are projected once to Web-Mercator in typed arrays; a filter computes the
   matching set over typed arrays and hands the matching located actors to the cluster layer,
   which groups them per zoom on a grid and draws only what is in the viewport (see
   safi-cluster.js). Survey text is untrusted: every string reaches the page through
   textContent; links are limited to http(s), mailto and tel. */
(function (window) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
  var now = function () { return window.performance ? window.performance.now() : Date.now(); };

  /* Lower case without accents, like safi_map.text.fold. A lookup table for the letters of
     French text (fast on 50,000 descriptions), Unicode decomposition for anything else. */
  var FOLD_FROM = 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿ’‘', FOLD_TO = 'aaaaaaceeeeiiiinooooouuuuyy\'\'';
  var FOLD_MAP = { 'œ': 'oe', 'æ': 'ae', 'ß': 'ss', 'ø': 'o' };
  for (var fi = 0; fi < FOLD_FROM.length; fi++) { FOLD_MAP[FOLD_FROM[fi]] = FOLD_TO[fi]; }
  var FOLD_RE = /[àáâãäåçèéêëìíîïñòóôõöùúûüýÿ’‘œæßø]/g;
  function fold(s) {
    var out = String(s || '').toLowerCase().replace(FOLD_RE, function (c) { return FOLD_MAP[c]; });
    if (/[^\x00-\x7f]/.test(out)) { out = out.normalize('NFD').replace(/[\u0300-\u036f]/g, ''); }
    return out;
  }

  function h(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) {
          if (k === 'class') { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
        }
      }
    }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function fmt(tpl, vars) {
    return String(tpl).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }

  /* One formatter (toLocaleString builds one per call: too slow for 1,000 counts a filter). */
  var NUMBER_FORMAT = window.Intl && window.Intl.NumberFormat ? new window.Intl.NumberFormat('fr-FR') : null;
  function number(n) {
    var s = NUMBER_FORMAT ? NUMBER_FORMAT.format(Number(n)) : String(Number(n));
    return s.replace(/\u202f|\u00a0/g, ' ');
  }

  /* Only http(s), mailto and tel; nothing that could break out of an attribute. */
  function safeHref(u) {
    if (typeof u !== 'string') { return ''; }
    u = u.trim();
    if (!/^(https?:\/\/|mailto:|tel:)/i.test(u) || /[\s<>"'`\\]/.test(u)) { return ''; }
    return u;
  }

  function iconSvg(name) {
    var icons = window.SafiIcons || {};
    var d = Object.prototype.hasOwnProperty.call(icons, name) ? icons[name] : icons.dot;
    return '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill-rule="evenodd" d="' +
      String(d || '').replace(/[^0-9A-Za-z .,\-]/g, '') + '"/></svg>';
  }

  function swatch(colour, icon) {
    var s = h('span', { 'class': 'safi-swatch', 'aria-hidden': 'true' });
    s.style.backgroundColor = HEX.test(colour) ? colour : '#777777';
    if (icon) {
      var tpl = document.createElement('template');
      tpl.innerHTML = iconSvg(icon);  /* our own constant icon paths, never data */
      s.appendChild(tpl.content);
    }
    return s;
  }

  /* Compressed-sparse-row encoding of a list-of-lists column. */
  function csr(lists, n) {
    var off = new Int32Array(n + 1), total = 0, i, j;
    for (i = 0; i < n; i++) { off[i] = total; total += lists[i].length; }
    off[n] = total;
    var val = new Int32Array(total);
    for (i = 0; i < n; i++) { for (j = 0; j < lists[i].length; j++) { val[off[i] + j] = lists[i][j]; } }
    return { off: off, val: val };
  }

  /* Read an embedded data block: plain JSON, or gzip+base64 for large data sets. */
  function loadBlock(id) {
    var el = document.getElementById(id);
    if (!el) { return Promise.resolve(null); }
    if (el.getAttribute('type') === 'application/json') {
      return Promise.resolve(JSON.parse(el.textContent));
    }
    var text = el.textContent.trim(), bytes;
    if (typeof Uint8Array.fromBase64 === 'function') {
      bytes = Uint8Array.fromBase64(text);  /* native, recent browsers */
    } else {
      var bin = window.atob(text);
      bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    }
    var stream = new window.Blob([bytes]).stream().pipeThrough(new window.DecompressionStream('gzip'));
    return new window.Response(stream).json();
  }

  /* Enter or Space on a focused marker (role=button) does what a click does. */
  function onActivate(marker, fn) {
    marker.on('keypress', function (e) {
      var ev = e.originalEvent, k = ev.key || '';
      if (k === 'Enter' || k === ' ' || ev.keyCode === 13 || ev.keyCode === 32) {
        L.DomEvent.preventDefault(ev);
        fn();
      }
    });
  }

  function App(map, opts) {
    var self = this;
    this.t0 = now();
    this.map = map;
    this.opts = opts || {};
    this.labels = this.opts.labels || {};
    this.linkTarget = this.opts.link_target || '';
    this.timings = {};
    this._listeners = [];
    this._queue = [];
    this.ready = false;
    this.initialized = false;
    this._markersDone = false;
    if (this.opts.bounds) { map.fitBounds(this.opts.bounds, { animate: false }); }
    SafiMap.apps.push(this);
    this.timings.start = this.t0;
    this.loading = loadBlock(this.opts.data_id || 'safi-data').then(function (data) {
      self.timings.decode = now() - self.t0;
      self._init(data);
      /* Draw the markers at once with the filters the URL asks for, then set up the panels,
         outlines and stops. */
      if (self._queue.some(function (q) { return q[0] === '_addUrlState'; })) {
        var st = hashFilters(window.location.hash);
        for (var k in st) { if (Object.prototype.hasOwnProperty.call(st, k)) { self.state[k] = st[k]; } }
        self._stateFromUrl = true;
      }
      self.compute();
      self._applyMarkers();
      var chain = Promise.resolve();
      self._queue.forEach(function (q) {
        chain = chain.then(function () {
          var t = now(), r = self[q[0]].apply(self, q[1]);
          self.timings[q[0]] = now() - t;
          return r;
        });
      });
      return chain;
    }).then(function () {
      self.initialized = true;
      self._queue = null;
      if (!self.counts) { self.apply({}); }
      self._maybeReady();
    }, function (err) {
      self.error = String(err);
      if (window.console) { window.console.error('safi-map: cannot read the embedded data', err); }
    });
  }

  App.prototype._maybeReady = function () {
    if (this.initialized && this._markersDone && !this.ready) {
      this.ready = true;
      this.timings.readySinceNavigation = now();
      this._emit('ready');
      /* The folded text for search, built when the browser is idle (about 0.1 s for 50,000
         actors); a search typed before then builds it at once. */
      var self = this, build = function () { self._buildHaystack(); };
      if (window.requestIdleCallback) { window.requestIdleCallback(build, { timeout: 1500 }); } else { window.setTimeout(build, 200); }
    }
  };

  App.prototype._init = function (data) {
    var self = this, t0 = now(), map = this.map;
    this.data = data;
    var A = data.actors, n = A.n, i;
    this.n = n;
    this.ids = A.id;
    this.names = A.name;
    this.lat = new Float64Array(n);
    this.lon = new Float64Array(n);
    this.hasLoc = new Uint8Array(n);
    for (i = 0; i < n; i++) {
      if (A.lat[i] !== null && A.lon[i] !== null) {
        this.lat[i] = A.lat[i] / 1e5; this.lon[i] = A.lon[i] / 1e5; this.hasLoc[i] = 1;
      }
    }
    this.themeCsr = csr(A.themes, n);
    this.stopCsr = csr(A.stops, n);
    this.legal = Int32Array.from(A.legal);
    this.commune = Int32Array.from(A.commune);
    this.themeIndex = Object.create(null);
    data.themes.forEach(function (t, k) { self.themeIndex[t.slug] = k; });
    this.legalIndex = Object.create(null);
    data.legal_forms.forEach(function (t, k) { self.legalIndex[t.slug] = k; });
    this.communeIndex = Object.create(null);
    data.communes.forEach(function (c, k) { self.communeIndex[c.code] = k; });
    this.stopIndex = Object.create(null);
    data.stops.forEach(function (s, k) { self.stopIndex[s.id] = k; });
    this.match = new Uint8Array(n);
    this.match.fill(1);
    this.matchCount = n;
    this.state = { themes: [], legal: [], commune: '', stop: '', q: '' };
    this.selected = -1;
    this.filtered = false;
    this.haystack = null;

    /* New since the last stop (optional column: indices of the new actors). */
    this.isNew = new Uint8Array(n);
    this.newCount = 0;
    (A['new'] || []).forEach(function (k) {
      if (k >= 0 && k < n && !self.isNew[k]) { self.isNew[k] = 1; self.newCount++; }
    });
    this.hasNew = this.newCount > 0;
    this.state.n = false;

    /* One shared icon per theme (first theme of the actor). */
    this.icons = data.themes.map(function (t) {
      var colour = HEX.test(t.colour) ? t.colour : '#777777';
      return L.divIcon({
        className: 'safi-marker',
        html: '<span class="safi-pin" style="background:' + colour + '">' + iconSvg(t.icon) + '</span>',
        iconSize: [24, 24], iconAnchor: [12, 12], popupAnchor: [0, -10]
      });
    });
    /* Web-Mercator world coordinates, computed once. */
    var SC = window.SafiCluster;
    this.wx = new Float64Array(n);
    this.wy = new Float64Array(n);
    this.locatedCount = 0;
    for (i = 0; i < n; i++) {
      if (this.hasLoc[i]) { this.wx[i] = SC.projectX(this.lon[i]); this.wy[i] = SC.projectY(this.lat[i]); this.locatedCount++; }
    }
    this.shownPoints = new Int32Array(n);
    this.shownCount = 0;
    this.maxZoom = map.getMaxZoom();
    this.clusterLayer = new SC.ClusterLayer(this.wx, this.wy, {
      cell: this.opts.cluster_cell || 64,
      overlapZoom: this.opts.cluster_off_zoom || 15,
      overlapCell: 20,
      merge: 0.75,  /* centroids closer than 3/4 of a cell (48 px, the largest icon) are merged */
      pointMarker: function (k) { return self._pointMarker(k); },
      clusterMarker: function (info) { return self._clusterMarker(info); }
    });
    this.actorsLayer = this.clusterLayer;
    // The popup is panned clear of the top controls (zoom, layers): its close button never lies under them.
    this.popup = L.popup({ maxWidth: 320, minWidth: 220, autoPanPaddingTopLeft: [30, 70], autoPanPaddingBottomRight: [30, 30], className: 'safi-popup' });
    map.on('popupclose', function (e) {
      if (e.popup === self.popup && self.selected >= 0) { self.selected = -1; self._emit('select'); }
    });
    this.timings.prepare = now() - t0;
    this.actorsLayer.addTo(map);
  };

  var methods = {
    on: function (type, fn) { this._listeners.push({ type: type, fn: fn }); return this; },
    /* Set app.profile = [] to collect [event, listener, ms] of each listener (profiling). */
    _emit: function (type) {
      var self = this, prof = this.profile;
      this._listeners.forEach(function (l) {
        if (l.type !== type) { return; }
        var t = prof ? now() : 0;
        l.fn.call(self);
        if (prof) { prof.push([type, l.fn.name || '?', now() - t]); }
      });
      try {
        this.map.getContainer().dispatchEvent(new window.CustomEvent('safi:' + type, { bubbles: true }));
      } catch (err) { /* old browsers: no CustomEvent */ }
    },
    /* Row of an actor id, or -1 (a linear scan: only used for the actor named in the URL). */
    indexOfId: function (id) { return this.ids.indexOf(id); },
    label: function (key, vars) { return fmt(this.labels[key] || key, vars || {}); },
    count: function (n, one, many) { return this.label(n === 1 ? one : many, { n: number(n) }); },

    _pointMarker: function (i) {
      var self = this, off = this.themeCsr.off, t = off[i + 1] > off[i] ? this.themeCsr.val[off[i]] : 0;
      var m = L.marker([this.lat[i], this.lon[i]], { icon: this.icons[t], title: this.names[i], keyboard: true });
      m.on('click', function () { self.openActor(i, { from: 'map' }); });
      onActivate(m, function () { self.openActor(i, { from: 'map', focus: true }); });
      return m;
    },
    _clusterMarker: function (info) {
      var self = this, n = info.size;
      var cls = n < 10 ? 'safi-cluster-s' : n < 100 ? 'safi-cluster-m' : n < 1000 ? 'safi-cluster-l' : 'safi-cluster-xl';
      var px = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
      var icon = L.divIcon({
        className: 'safi-cluster ' + cls,
        html: '<span data-count="' + n + '">' + number(n) + '</span>',
        iconSize: [px, px], iconAnchor: [px / 2, px / 2]
      });
      /* Above the tour stops' pins: the count stays readable where a stop is. */
      var m = L.marker(info.latlng, { icon: icon, title: this.count(n, 'result_one', 'result_many'), keyboard: true, zIndexOffset: 2000 });
      m.on('click', function () { self._clusterClick(m); });
      onActivate(m, function () { self._clusterClick(m); });
      return m;
    },
    /* Click on a cluster: zoom to its members, or list them when zooming cannot separate them
       (same place, or already at the largest zoom). */
    _clusterClick: function (m) {
      var c = this.clusterLayer.clusterOf(m), map = this.map;
      if (!c) { return; }
      var z = map.getZoom(), maxZ = this.maxZoom;
      var target = Math.min(maxZ, map.getBoundsZoom(c.bounds, false, L.point(60, 60)));
      if (z >= maxZ || c.extentAt(maxZ) <= this.clusterLayer.cellPx(maxZ) || target <= z) {
        this.openList(c.members, m.getLatLng());
        return;
      }
      map.fitBounds(c.bounds, { padding: [40, 40], maxZoom: maxZ });
    },
    /* A popup listing the actors of one place; each name opens the actor's card. */
    openList: function (idx, latlng) {
      var self = this, limit = 50;
      var root = h('div', { 'class': 'safi-card safi-cluster-list' });
      var title = h('h3', { 'class': 'safi-card-title', tabindex: '-1' }, this.label('here_count', { n: number(idx.length) }));
      root.appendChild(title);
      var ul = h('ul');
      idx.slice(0, limit).forEach(function (i) {
        var li = h('li'), btn = h('button', { type: 'button', 'class': 'safi-linklike' }, self.names[i]);
        /* The list is replaced by the card during the click: stop the event here, or the
           map (which cannot find the detached button in its popup) would close the popup. */
        btn.addEventListener('click', function (ev) { L.DomEvent.stopPropagation(ev); self.openActor(i, { focus: true }); });
        li.appendChild(btn);
        if (self.isNew[i]) { li.appendChild(self._newBadge()); }
        ul.appendChild(li);
      });
      root.appendChild(ul);
      if (idx.length > limit) {
        root.appendChild(h('p', { 'class': 'safi-card-where' }, this.label('more_in_directory', { n: number(idx.length - limit) })));
      }
      /* The same popup as an actor's: choosing a name replaces the list with the card. */
      var was = this.selected;
      this.selected = -1;
      this.popup.setLatLng(latlng).setContent(root).openOn(this.map);
      title.focus();
      if (was >= 0) { this._emit('select'); }
    },
    _newBadge: function () { return h('span', { 'class': 'safi-new' }, this.label('new_badge')); },
    _buildHaystack: function () {
      if (this.haystack) { return this.haystack; }
      var t0 = now(), A = this.data.actors, out = new Array(this.n);
      for (var i = 0; i < this.n; i++) { out[i] = fold(A.name[i] + ' ' + A.desc[i]); }
      this.haystack = out;
      this.timings.haystack = now() - t0;
      return out;
    },

    /* ---- filtering ---- */
    isFiltered: function (s) {
      s = s || this.state;
      return !!(s.themes.length || s.legal.length || s.commune || s.stop || s.q.trim() || (s.n && this.hasNew));
    },
    setState: function (partial, how) {
      var s = this.state, changed = false;
      for (var k in partial) {
        if (Object.prototype.hasOwnProperty.call(partial, k) && Object.prototype.hasOwnProperty.call(s, k)) {
          var v = partial[k];
          if (Array.isArray(v)) { v = v.slice().sort(); }
          if (JSON.stringify(v) !== JSON.stringify(s[k])) { s[k] = v; changed = true; }
        }
      }
      if (changed || (how && how.force)) { this.apply(how || {}); }
      return changed;
    },
    compute: function () {
      var t0 = now();
      var s = this.state, n = this.n, d = this.data, i, k, a, b;
      var nT = d.themes.length, nL = d.legal_forms.length, nC = d.communes.length, nS = d.stops.length;
      var selT = new Uint8Array(nT), selL = new Uint8Array(nL), selS = new Uint8Array(nS);
      var self = this;
      var activeT = false, activeL = false;
      s.themes.forEach(function (slug) { activeT = true; if (slug in self.themeIndex) { selT[self.themeIndex[slug]] = 1; } });
      s.legal.forEach(function (slug) { activeL = true; if (slug in self.legalIndex) { selL[self.legalIndex[slug]] = 1; } });
      var activeC = !!s.commune, cIdx = activeC && (s.commune in this.communeIndex) ? this.communeIndex[s.commune] : -2;
      var activeS = !!s.stop;
      if (activeS && (s.stop in this.stopIndex)) { selS[this.stopIndex[s.stop]] = 1; }
      var words = fold(s.q).split(/\s+/).filter(function (w) { return w.length > 0; });
      var activeQ = words.length > 0, hay = activeQ ? this._buildHaystack() : null;
      var tOff = this.themeCsr.off, tVal = this.themeCsr.val, sOff = this.stopCsr.off, sVal = this.stopCsr.val;
      var legal = this.legal, commune = this.commune, match = this.match, isNew = this.isNew;
      var activeN = !!(s.n && this.hasNew), cN = 0;
      var cT = new Int32Array(nT), cL = new Int32Array(nL), cC = new Int32Array(nC), cS = new Int32Array(nS);
      var count = 0, nw = words.length;
      for (i = 0; i < n; i++) {
        var ft = 1, fl = 1, fc = 1, fs = 1, fq = 1, fn = 1;
        if (activeN) { fn = isNew[i]; }
        a = tOff[i]; b = tOff[i + 1];
        if (activeT) { ft = 0; for (k = a; k < b; k++) { if (selT[tVal[k]]) { ft = 1; break; } } }
        if (activeL) { fl = selL[legal[i]]; }
        if (activeC) { fc = commune[i] === cIdx ? 1 : 0; }
        if (activeS) { fs = 0; for (k = sOff[i]; k < sOff[i + 1]; k++) { if (selS[sVal[k]]) { fs = 1; break; } } }
        if (activeQ) { var text = hay[i]; for (k = 0; k < nw; k++) { if (text.indexOf(words[k]) < 0) { fq = 0; break; } } }
        var fails = 6 - (ft + fl + fc + fs + fq + fn);
        if (fails === 0) {
          match[i] = 1; count++; cN += isNew[i];
          for (k = a; k < b; k++) { cT[tVal[k]]++; }
          cL[legal[i]]++;
          if (commune[i] >= 0) { cC[commune[i]]++; }
          for (k = sOff[i]; k < sOff[i + 1]; k++) { cS[sVal[k]]++; }
        } else {
          match[i] = 0;
          if (fails === 1) {
            if (!ft) { for (k = a; k < b; k++) { cT[tVal[k]]++; } }
            else if (!fl) { cL[legal[i]]++; }
            else if (!fc) { if (commune[i] >= 0) { cC[commune[i]]++; } }
            else if (!fs) { for (k = sOff[i]; k < sOff[i + 1]; k++) { cS[sVal[k]]++; } }
          }
        }
      }
      this.matchCount = count;
      this.counts = { themes: cT, legal: cL, communes: cC, stops: cS, 'new': cN };
      this.timings.compute = now() - t0;
    },
    apply: function (how) {
      var t0 = now();
      this.compute();
      this._applyMarkers();
      /* A card of an actor filtered out, or a list of a place (its members changed): closed. */
      if ((this.selected >= 0 && !this.match[this.selected]) || (this.selected < 0 && this.map.hasLayer(this.popup))) {
        this.map.closePopup(this.popup);
      }
      var t1 = now();
      this._emit('change');
      if (how && how.push !== undefined) { this._emit(how.push ? 'push' : 'replace'); }
      this.timings.lastApply = { filter: t1 - t0, panels: now() - t1 };
    },
    /* Hand the matching located actors to the cluster layer (it redraws the viewport). */
    _applyMarkers: function () {
      var t0 = now(), i, m = 0, pts = this.shownPoints, match = this.match, hasLoc = this.hasLoc;
      for (i = 0; i < this.n; i++) { if (match[i] && hasLoc[i]) { pts[m++] = i; } }
      this.shownCount = m;
      this.clusterLayer.setPoints(pts, m);
      var ms = now() - t0;
      this.timings.lastFilter = ms;
      if (!this._markersDone) {
        var self = this;
        this._markersDone = true;
        this.timings.allMarkers = ms;
        this.timings.firstMarkers = ms;
        this.timings.firstMarkersSinceNavigation = now();
        this._maybeReady();
      }
      this._emit('markers');
    },
    settled: function () { return this.ready; },
    /* What the cluster layer draws: {clusters, points, total} (total = actors in the viewport). */
    drawn: function () { return this.clusterLayer.drawn; },

    /* ---- actor cards (popup and directory) ---- */
    /* Link to the actor page; "" when the page has none (e.g. an export without a site). */
    actorHref: function (i) {
      var tpl = String(this.data.actor_url || '');
      if (tpl.indexOf('{actor_id}') < 0) { return ''; }
      var href = tpl.replace('{actor_id}', encodeURIComponent(this.ids[i]));
      return /^[a-z][a-z0-9+.-]*:/i.test(href) && !/^https?:/i.test(href) ? '' : href;
    },
    card: function (i, mode) {
      var self = this, A = this.data.actors, d = this.data;
      var root = h(mode === 'popup' ? 'div' : 'article', { 'class': 'safi-card' });
      var title = h('h3', { 'class': 'safi-card-title' });
      var href = this.actorHref(i);
      if (mode === 'popup' || !href) {
        if (mode === 'popup') { title.setAttribute('tabindex', '-1'); }
        title.textContent = A.name[i];
      } else {
        var link = h('a', { href: href }, A.name[i]);
        if (this.linkTarget) { link.setAttribute('target', this.linkTarget); }
        title.appendChild(link);
      }
      if (this.isNew[i]) { title.appendChild(document.createTextNode(' ')); title.appendChild(this._newBadge()); }
      root.appendChild(title);
      var chips = h('ul', { 'class': 'safi-chips' });
      var off = this.themeCsr.off, val = this.themeCsr.val;
      for (var k = off[i]; k < off[i + 1]; k++) {
        var t = d.themes[val[k]];
        var li = h('li', { 'class': 'safi-chip' });
        li.appendChild(swatch(t.colour, null));
        li.appendChild(document.createTextNode(t.label));
        chips.appendChild(li);
      }
      root.appendChild(chips);
      var where = [];
      if (this.commune[i] >= 0) { where.push(d.communes[this.commune[i]].name); }
      var lf = d.legal_forms[this.legal[i]];
      if (lf && lf.slug) { where.push(lf.label); }
      if (where.length) { root.appendChild(h('p', { 'class': 'safi-card-where' }, where.join(' · '))); }
      if (A.desc[i]) { root.appendChild(h('p', { 'class': 'safi-card-desc' }, A.desc[i])); }
      var links = h('ul', { 'class': 'safi-card-links' });
      var web = safeHref(A.web[i]);
      if (web && /^https?:/i.test(web)) {
        var a = h('a', { href: web, rel: 'noopener noreferrer nofollow', target: '_blank' }, self.label('website'));
        var item = h('li'); item.appendChild(a); links.appendChild(item);
      }
      var email = A.email[i];
      if (email && /^[^\s@<>"'`\\]+@[^\s@<>"'`\\]+$/.test(email)) {
        var em = safeHref('mailto:' + email);
        if (em) { var li2 = h('li'); li2.appendChild(h('a', { href: em }, email)); links.appendChild(li2); }
      }
      var phone = A.phone[i];
      if (phone) {
        var tel = safeHref('tel:' + phone.replace(/[^0-9+]/g, ''));
        if (tel && tel.length > 5) { var li3 = h('li'); li3.appendChild(h('a', { href: tel }, phone)); links.appendChild(li3); }
      }
      if (mode === 'popup' && href) {
        var li4 = h('li');
        var page = h('a', { href: href, 'class': 'safi-card-page' }, this.label('actor_page'));
        if (this.linkTarget) { page.setAttribute('target', this.linkTarget); }
        li4.appendChild(page);
        links.appendChild(li4);
      }
      if (links.childNodes.length) { root.appendChild(links); }
      if (mode !== 'popup') {
        if (this.hasLoc[i]) {
          var btn = h('button', { type: 'button', 'class': 'safi-show' }, this.label('show_on_map'));
          btn.addEventListener('click', function () { self.focusActor(i); });
          root.appendChild(btn);
        } else {
          root.appendChild(h('p', { 'class': 'safi-card-noloc' }, this.label('no_location')));
        }
      }
      return root;
    },
    openActor: function (i, how) {
      if (i < 0 || i >= this.n || !this.hasLoc[i]) { return; }
      this.selected = i;
      var content = this.card(i, 'popup');
      this.popup.setLatLng([this.lat[i], this.lon[i]]).setContent(content);
      this.popup.openOn(this.map);
      if (how && how.focus) {
        var t = content.querySelector('.safi-card-title');
        if (t) { t.focus(); }
      }
      this._emit('select');
    },
    /* From the directory: zoom in on the actor (past clustering), open its popup. */
    focusActor: function (i) {
      if (!this.hasLoc[i]) { return; }
      var z = Math.max(this.map.getZoom(), this.opts.cluster_off_zoom || 15);
      this.map.setView([this.lat[i], this.lon[i]], Math.min(z, this.maxZoom), { animate: false });
      this.openActor(i, { focus: true });
    },

    /* ---- panels (queued until the data are decoded) ---- */
    _addFilterPanel: function (o) { new FilterPanel(this, o || {}); },
    _addDirectory: function (o) { new Directory(this, o || {}); },
    _addLegend: function (o) { addLegend(this, o || {}); },
    _addStops: function (o) { addStops(this, o || {}); },
    _addBaseLayers: function (o) { addBaseLayers(this, o || {}); },
    _addBoundaries: function (o) { return addBoundaries(this, o || {}); },
    _addUrlState: function (o) { this.urlState = new UrlState(this, o || {}); }
  };
  Object.keys(methods).forEach(function (k) { App.prototype[k] = methods[k]; });
  ['addFilterPanel', 'addDirectory', 'addLegend', 'addStops', 'addBaseLayers', 'addBoundaries', 'addUrlState'].forEach(function (name) {
    App.prototype[name] = function () {
      var args = Array.prototype.slice.call(arguments);
      if (this._queue) {
        this._queue.push(['_' + name, args]);
        /* Start decoding the outlines now, alongside the actors. */
        if (name === 'addBoundaries') { this._boundariesBlock = loadBlock((args[0] || {}).data_id || 'safi-boundaries'); }
        return undefined;
      }
      return this['_' + name].apply(this, args);
    };
  });

  /* ------------------------------------------------------------------ filter panel */
  function FilterPanel(app, o) {
    var self = this;
    this.app = app;
    var container = o.container ? document.getElementById(o.container) : null;
    if (!container) {
      var ctl = L.control({ position: 'topright' });
      ctl.onAdd = function () {
        var div = h('div', { 'class': 'safi-panel safi-panel-control leaflet-bar' });
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      ctl.addTo(app.map);
      container = ctl.getContainer();
    }
    var d = app.data;
    var form = h('form', { 'class': 'safi-filters', role: 'search', 'aria-label': app.label('filters') });
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    form.appendChild(h('h2', { 'class': 'safi-filters-title' }, app.label('filters')));

    var qId = 'safi-q';
    form.appendChild(h('label', { 'for': qId }, app.label('search')));
    this.q = h('input', { type: 'search', id: qId, name: 'q', autocomplete: 'off', placeholder: app.label('search_placeholder') });
    var timer = null;
    this.q.addEventListener('input', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { app.setState({ q: self.q.value }, { push: true }); }, 250);
    });
    form.appendChild(this.q);

    this.count = h('p', { 'class': 'safi-count', role: 'status', 'aria-live': o.live === false ? 'off' : 'polite' });
    form.appendChild(this.count);

    /* "New since the last stop": only when the page marks new actors. */
    this.newBox = null;
    if (app.hasNew) {
      var labN = h('label', { 'class': 'safi-new-only' });
      this.newBox = h('input', { type: 'checkbox', name: 'new', value: '1' });
      this.newBox.addEventListener('change', function () { app.setState({ n: self.newBox.checked }, { push: true }); });
      labN.appendChild(this.newBox);
      labN.appendChild(h('span', { 'class': 'safi-opt-label' }, app.label('new_only')));
      this.newCount = h('span', { 'class': 'safi-opt-count' });
      labN.appendChild(this.newCount);
      form.appendChild(labN);
    }

    this.themeBoxes = [];
    this.themeCounts = [];
    var fsT = h('fieldset', { 'class': 'safi-themes' });
    fsT.appendChild(h('legend', null, app.label('themes')));
    var ulT = h('ul');
    d.themes.forEach(function (t, k) {
      var li = h('li'), lab = h('label');
      var box = h('input', { type: 'checkbox', name: 'theme', value: t.slug });
      box.addEventListener('change', function () { self._checkboxes('themes', self.themeBoxes); });
      lab.appendChild(box);
      lab.appendChild(swatch(t.colour, t.icon));
      lab.appendChild(h('span', { 'class': 'safi-opt-label' }, t.label));
      var c = h('span', { 'class': 'safi-opt-count' });
      lab.appendChild(c);
      li.appendChild(lab); ulT.appendChild(li);
      self.themeBoxes.push(box); self.themeCounts.push(c);
    });
    fsT.appendChild(ulT);
    form.appendChild(fsT);

    this.legalBoxes = [];
    this.legalCounts = [];
    var fsL = h('fieldset', { 'class': 'safi-legal' });
    fsL.appendChild(h('legend', null, app.label('legal_forms')));
    var ulL = h('ul');
    d.legal_forms.forEach(function (f) {
      var li = h('li'), lab = h('label');
      var box = h('input', { type: 'checkbox', name: 'legal', value: f.slug });
      box.addEventListener('change', function () { self._checkboxes('legal', self.legalBoxes); });
      lab.appendChild(box);
      lab.appendChild(h('span', { 'class': 'safi-opt-label' }, f.label));
      var c = h('span', { 'class': 'safi-opt-count' });
      lab.appendChild(c);
      li.appendChild(lab); ulL.appendChild(li);
      self.legalBoxes.push(box); self.legalCounts.push(c);
    });
    fsL.appendChild(ulL);
    form.appendChild(fsL);

    /* Commune: type-ahead over the communes that have actors. */
    this.communeValues = Object.create(null);
    this.communeByFold = Object.create(null);
    var homonyms = Object.create(null);
    d.communes.forEach(function (c) { var f = fold(c.name); homonyms[f] = (homonyms[f] || 0) + 1; });
    this.communeText = d.communes.map(function (c) {
      var text = c.name + ' (' + c.dep + ')';
      self.communeValues[text] = c.code;
      var f = fold(c.name);
      if (homonyms[f] === 1) { self.communeByFold[f] = c.code; }
      self.communeByFold[fold(text)] = c.code;
      self.communeByFold[c.code] = c.code;
      return text;
    });
    form.appendChild(h('label', { 'for': 'safi-commune' }, app.label('commune')));
    this.commune = h('input', { type: 'text', id: 'safi-commune', name: 'commune', list: 'safi-communes', autocomplete: 'off', placeholder: app.label('commune_placeholder'), 'aria-describedby': 'safi-commune-msg' });
    this.datalist = h('datalist', { id: 'safi-communes' });
    this.communeOptions = this.communeText.map(function (text) {
      var opt = h('option', { value: text });
      self.datalist.appendChild(opt);
      return opt;
    });
    this.communeMsg = h('p', { id: 'safi-commune-msg', 'class': 'safi-msg', 'aria-live': 'polite' });
    this.commune.addEventListener('change', function () { self._commune(); });
    /* The counts in the suggestions are only seen once the field is used: refresh them then. */
    this.commune.addEventListener('focus', function () { self._communeCounts(); });
    this.commune.addEventListener('input', function () {
      if (self.communeValues[self.commune.value]) { self._commune(); }
      if (self.commune.value === '' && app.state.commune) { self._commune(); }
    });
    form.appendChild(this.commune);
    form.appendChild(this.datalist);
    form.appendChild(this.communeMsg);

    form.appendChild(h('label', { 'for': 'safi-stop' }, app.label('stop')));
    this.stop = h('select', { id: 'safi-stop', name: 'stop' });
    this.stop.appendChild(h('option', { value: '' }, app.label('all_stops')));
    this.stopOptions = d.stops.map(function (s) {
      var opt = h('option', { value: s.id });
      self.stop.appendChild(opt);
      return opt;
    });
    this.stop.addEventListener('change', function () { app.setState({ stop: self.stop.value }, { push: true }); });
    form.appendChild(this.stop);

    var reset = h('button', { type: 'button', 'class': 'safi-reset' }, app.label('reset'));
    reset.addEventListener('click', function () {
      app.setState({ themes: [], legal: [], commune: '', stop: '', q: '', n: false }, { push: true });
      self.q.focus();
    });
    form.appendChild(reset);
    container.appendChild(form);
    app.on('change', function () { self.update(); });
    this.update();
  }

  FilterPanel.prototype = {
    _communeCounts: function () {
      if (!this._countsDirty) { return; }
      this._countsDirty = false;
      var app = this.app, c = app.counts.communes, last = this._lastCommuneCounts || (this._lastCommuneCounts = new Int32Array(c.length).fill(-1));
      for (var k = 0; k < this.communeOptions.length; k++) {
        if (last[k] !== c[k]) { last[k] = c[k]; this.communeOptions[k].label = app.count(c[k], 'result_one', 'result_many'); }
      }
    },
    _checkboxes: function (key, boxes) {
      var values = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      var partial = {}; partial[key] = values;
      this.app.setState(partial, { push: true });
    },
    _commune: function () {
      var v = this.commune.value.trim(), code = '';
      if (v) {
        code = this.communeValues[v] || this.communeByFold[fold(v)] || '';
        if (!code) { this.communeMsg.textContent = this.app.label('unknown_commune'); return; }
      }
      this.communeMsg.textContent = '';
      this.app.setState({ commune: code }, { push: true });
      if (code) { this._fitCommune(code); }
    },
    /* Choosing a commune moves the map to its located actors. */
    _fitCommune: function (code) {
      var app = this.app, k = app.communeIndex[code], b = null;
      for (var i = 0; i < app.n; i++) {
        if (app.commune[i] !== k || !app.hasLoc[i]) { continue; }
        if (b) { b.extend([app.lat[i], app.lon[i]]); } else { b = L.latLngBounds([app.lat[i], app.lon[i]], [app.lat[i], app.lon[i]]); }
      }
      if (b) { app.map.fitBounds(b, { padding: [40, 40], maxZoom: 14, animate: false }); }
    },
    update: function () {
      var app = this.app, s = app.state, c = app.counts, d = app.data, self = this;
      if (!c) { app.compute(); c = app.counts; }
      this.count.textContent = app.matchCount ? app.count(app.matchCount, 'result_one', 'result_many') : app.label('result_none');
      this.count.setAttribute('data-count', String(app.matchCount));
      if (this.newBox) {
        this.newBox.checked = !!s.n;
        this.newCount.textContent = ' (' + number(c['new']) + ')';
        this.newCount.setAttribute('data-count', String(c['new']));
      }
      this.themeBoxes.forEach(function (b, k) {
        b.checked = s.themes.indexOf(b.value) >= 0;
        self.themeCounts[k].textContent = ' (' + number(c.themes[k]) + ')';
        self.themeCounts[k].setAttribute('data-count', String(c.themes[k]));
      });
      this.legalBoxes.forEach(function (b, k) {
        b.checked = s.legal.indexOf(b.value) >= 0;
        self.legalCounts[k].textContent = ' (' + number(c.legal[k]) + ')';
        self.legalCounts[k].setAttribute('data-count', String(c.legal[k]));
      });
      this._countsDirty = true;
      if (document.activeElement === this.commune) { this._communeCounts(); }
      var ci = s.commune in app.communeIndex ? app.communeIndex[s.commune] : -1;
      var want = ci >= 0 ? this.communeText[ci] : '';
      if (fold(this.commune.value) !== fold(want) && this.communeByFold[fold(this.commune.value)] !== s.commune) { this.commune.value = want; }
      if (!s.commune) { if (this.communeValues[this.commune.value]) { this.commune.value = ''; } }
      this.stopOptions.forEach(function (opt, k) {
        var st = d.stops[k];
        opt.textContent = st.town + ' — ' + formatDate(st.date) + ' (' + number(c.stops[k]) + ')';
        opt.setAttribute('data-count', String(c.stops[k]));
      });
      this.stop.value = s.stop;
      if (this.q.value !== s.q && document.activeElement !== this.q) { this.q.value = s.q; }
    }
  };

  function formatDate(iso) {
    if (!/^\d{4}-\d{2}-\d{2}/.test(iso || '')) { return iso || ''; }
    var dt = new Date(iso.slice(0, 10) + 'T12:00:00Z');
    try {
      return dt.toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    } catch (err) { return iso.slice(0, 10); }
  }

  /* ------------------------------------------------------------------ directory */
  function Directory(app, o) {
    var self = this;
    this.app = app;
    this.pageSize = o.page_size || 20;
    this.page = 0;
    this.visibleOnly = false;
    var root = document.getElementById(o.container);
    if (!root) { return; }
    this.root = root;
    this.count = h('p', { 'class': 'safi-dir-count', role: 'status', 'aria-live': 'polite' });
    root.appendChild(this.count);
    var lab = h('label', { 'class': 'safi-visible-only' });
    this.visible = h('input', { type: 'checkbox', name: 'visible' });
    lab.appendChild(this.visible);
    lab.appendChild(document.createTextNode(' ' + app.label('visible_only')));
    root.appendChild(lab);
    this.list = h('ol', { 'class': 'safi-list' });
    root.appendChild(this.list);
    var nav = h('nav', { 'class': 'safi-pager', 'aria-label': app.label('pagination') });
    this.prev = h('button', { type: 'button' }, app.label('previous'));
    this.next = h('button', { type: 'button' }, app.label('next'));
    this.pageText = h('span', { 'class': 'safi-page-no' });
    nav.appendChild(this.prev); nav.appendChild(this.pageText); nav.appendChild(this.next);
    root.appendChild(nav);
    this.prev.addEventListener('click', function () { self.go(self.page - 1); });
    this.next.addEventListener('click', function () { self.go(self.page + 1); });
    this.visible.addEventListener('change', function () {
      self.visibleOnly = self.visible.checked; self.page = 0; self.render(false);
    });
    app.map.on('moveend', function () { if (self.visibleOnly) { self.page = 0; self.render(false); } });
    app.on('change', function () { self.page = 0; self.render(false); });
    app.directory = this;
    this.render(false);
  }

  Directory.prototype = {
    go: function (p) { this.page = p; this.render(true); },
    indices: function () {
      var app = this.app, out = [], i, match = app.match;
      if (this.visibleOnly) {
        var b = app.map.getBounds(), s = b.getSouth(), nn = b.getNorth(), w = b.getWest(), e = b.getEast();
        for (i = 0; i < app.n; i++) {
          if (match[i] && app.hasLoc[i] && app.lat[i] >= s && app.lat[i] <= nn && app.lon[i] >= w && app.lon[i] <= e) { out.push(i); }
        }
      } else {
        for (i = 0; i < app.n; i++) { if (match[i]) { out.push(i); } }
      }
      return out;
    },
    render: function (focus) {
      var app = this.app, idx = this.indices();
      var pages = Math.max(1, Math.ceil(idx.length / this.pageSize));
      if (this.page >= pages) { this.page = pages - 1; }
      if (this.page < 0) { this.page = 0; }
      var text = idx.length ? app.count(app.matchCount, 'result_one', 'result_many') : app.label('result_none');
      if (this.visibleOnly && app.matchCount) { text += ' · ' + app.label('visible_count', { n: number(idx.length) }); }
      this.count.textContent = text;
      this.count.setAttribute('data-count', String(idx.length));
      var frag = document.createDocumentFragment();
      var start = this.page * this.pageSize, end = Math.min(idx.length, start + this.pageSize);
      for (var k = start; k < end; k++) {
        var li = h('li');
        li.appendChild(app.card(idx[k], 'list'));
        frag.appendChild(li);
      }
      this.list.textContent = '';
      this.list.setAttribute('start', String(start + 1));
      this.list.appendChild(frag);
      this.pageText.textContent = app.label('page', { p: this.page + 1, n: pages });
      this.prev.disabled = this.page <= 0;
      this.next.disabled = this.page >= pages - 1;
      if (focus) {
        var first = this.list.querySelector('a');
        if (first) { first.focus(); }
      }
    }
  };

  /* Do two elements' boxes intersect on screen? */
  function overlaps(a, b) {
    if (!a || !b) { return false; }
    var r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    return r.width > 0 && q.width > 0 && r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
  }

  /* ------------------------------------------------------------------ legend */
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
      det.appendChild(ul);
      if (app.choropleth) {
        det.appendChild(h('p', { 'class': 'safi-legend-scale-title' }, app.label('count_scale')));
        var scale = h('ul', { 'class': 'safi-legend-scale' });
        CHORO_BREAKS.forEach(function (b, k) {
          var li = h('li'), sw = h('span', { 'class': 'safi-swatch safi-swatch-square', 'aria-hidden': 'true' });
          sw.style.backgroundColor = CHORO_COLOURS[k];
          li.appendChild(sw);
          var next = CHORO_BREAKS[k + 1];
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
        var p = app.map.hasLayer(app.popup) ? app.popup.getElement() : null;
        if (overlaps(div, p)) { app.map.closePopup(app.popup); }
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(app.map);
  }

  /* ------------------------------------------------------------------ boundaries */
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
    app.overlays = app.overlays || [];
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
      app.overlays.push({ key: 'communes', label: app.label('layer_communes'), layer: layer });
    }
    if (b.departments) {
      var dep = L.geoJSON(b.departments, {
        style: function () { return { weight: 1.6, color: '#4a4a4a', fill: false, opacity: 0.9 }; },
        interactive: false
      }).addTo(app.map);
      app.overlays.push({ key: 'departments', label: app.label('layer_departments'), layer: dep });
    }
    if (app.layerControl) {
      app.overlays.forEach(function (ov) { if (!ov.inControl) { app.layerControl.addOverlay(ov.layer, ov.label); ov.inControl = true; } });
    }
    if (app.choropleth) { app.choropleth.bringToBack(); }
  }

  /* ------------------------------------------------------------------ stops */
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
    app.overlays = app.overlays || [];
    app.overlays.push({ key: 'stops', label: app.label('layer_stops'), layer: group });
    if (app.layerControl) { app.layerControl.addOverlay(group, app.label('layer_stops')); app.overlays[app.overlays.length - 1].inControl = true; }
  }

  /* ------------------------------------------------------------------ base maps + layer control */
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
    var popupEl = function () { return app.map.hasLayer(app.popup) ? app.popup.getElement() : null; };
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
      if (overlaps(this.getContainer(), popupEl())) { app.map.closePopup(app.popup); }
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

  /* ------------------------------------------------------------------ URL state */
  function UrlState(app) {
    var self = this;
    this.app = app;
    this.applying = false;
    this.fromHash(window.location.hash, true);
    app.on('push', function () { self.write(true); });
    app.on('replace', function () { self.write(false); });
    app.on('select', function () { self.write(false); });
    app.map.on('moveend', function () { if (!self.applying) { self.write(false); } });
    var onNav = function () {
      if (window.location.hash.replace(/^#/, '') !== self.serialize()) { self.fromHash(window.location.hash, false); }
    };
    window.addEventListener('popstate', onNav);
    window.addEventListener('hashchange', onNav);
  }

  function hashParams(hash) {
    var out = {};
    String(hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
      if (!kv) { return; }
      var j = kv.indexOf('=');
      out[j < 0 ? kv : kv.slice(0, j)] = j < 0 ? '' : kv.slice(j + 1);
    });
    return out;
  }
  function dec(v) { try { return decodeURIComponent(v || ''); } catch (err) { return ''; } }
  function decList(v) { return v ? v.split(',').map(dec).filter(function (x) { return x; }).sort() : []; }
  /* The filters of a URL hash: t=themes, f=legal forms, c=commune, s=stop, q=text,
     n=1 new since the last stop. */
  function hashFilters(hash) {
    var p = hashParams(hash);
    return { themes: decList(p.t), legal: decList(p.f), commune: dec(p.c), stop: dec(p.s), q: dec(p.q), n: p.n === '1' };
  }

  UrlState.prototype = {
    serialize: function () {
      var app = this.app, s = app.state, parts = [], enc = encodeURIComponent;
      if (s.themes.length) { parts.push('t=' + s.themes.map(enc).join(',')); }
      if (s.legal.length) { parts.push('f=' + s.legal.map(enc).join(',')); }
      if (s.commune) { parts.push('c=' + enc(s.commune)); }
      if (s.stop) { parts.push('s=' + enc(s.stop)); }
      if (s.q) { parts.push('q=' + enc(s.q)); }
      if (s.n && app.hasNew) { parts.push('n=1'); }
      var c = app.map.getCenter();
      parts.push('z=' + (Math.round(app.map.getZoom() * 2) / 2) + '/' + c.lat.toFixed(4) + '/' + c.lng.toFixed(4));
      if (app.selected >= 0) { parts.push('a=' + enc(app.ids[app.selected])); }
      if (app.base && app.base !== app.defaultBase) { parts.push('b=' + enc(app.base)); }
      return parts.join('&');
    },
    fromHash: function (hash, initial) {
      var app = this.app, p = hashParams(hash);
      this.applying = true;
      try {
        /* At start the filters of the URL are already applied (read before the markers). */
        app.setState(hashFilters(hash), { force: initial && !app._stateFromUrl });
        if (app.setBase) { app.setBase(dec(p.b)); }
        var z = (p.z || '').split('/').map(Number);
        var hasView = z.length === 3 && z.every(function (x) { return isFinite(x); });
        if (hasView) { app.map.setView([z[1], z[2]], z[0], { animate: false }); }
        var id = dec(p.a);
        var i = id ? app.indexOfId(id) : -1;
        if (i >= 0) {
          if (!hasView && app.hasLoc[i]) { app.map.setView([app.lat[i], app.lon[i]], 15, { animate: false }); }
          app.openActor(i, {});
        } else if (app.selected >= 0) {
          app.map.closePopup(app.popup);
        }
      } finally {
        this.applying = false;
      }
      if (initial) { this.write(false); }
    },
    write: function (push) {
      if (this.applying) { return; }
      var h2 = this.serialize();
      if (window.location.hash.replace(/^#/, '') === h2) { return; }
      var url = '#' + h2;
      try {
        if (push) { window.history.pushState(null, '', url); } else { window.history.replaceState(null, '', url); }
      } catch (err) {
        if (push) { window.location.hash = h2; } else { window.location.replace(url); }
      }
    }
  };

  /* ------------------------------------------------------------------ page chrome */
  function initToggle() {
    var btn = document.querySelector('.safi-toggle');
    var panel = document.getElementById('safi-panel');
    if (!btn || !panel) { return; }
    btn.addEventListener('click', function () {
      var open = btn.getAttribute('aria-expanded') !== 'true';
      btn.setAttribute('aria-expanded', open ? 'true' : 'false');
      panel.classList.toggle('safi-panel-open', open);
      if (open) { panel.focus(); }
    });
  }

  var SafiMap = {
    apps: [],
    fold: fold,
    safeHref: safeHref,
    create: function (map, opts) {
      var app = new App(map, opts);
      initToggle();
      return app;
    }
  };
  window.SafiMap = SafiMap;
})(window);
