/* core.js: the application object of the safi-map actor map; every control is its own file.

   Loaded as classic scripts, in this order (the page lists them; the offline single-file page
   inlines them): icons.js, cluster.js, core.js, selection.js (the filter state and matching
   set), then one file per control (popup, filters, directory, legend, boundaries, stops,
   events, layers, url-state, near, download): safi_map._assets.MAP_SCRIPTS. Not ES modules:
   Chrome refuses module scripts from file://, and the site must work from a folder.
   Each control file registers itself on window.SafiMap:
     SafiMap.extend({...})               methods of the application object (App.prototype);
     SafiMap.control('addX', fn, pre)    app.addX(options) calls fn(app, options) once the data
                                         are decoded (calls are queued until then; pre(app, o)
                                         runs at once, e.g. to start decoding another block).

   Data arrive once, as a JSON block written by safi_map.map_elements (columnar, public fields
   only). Coordinates are projected once to Web-Mercator in typed arrays; a filter computes the
   matching set over typed arrays and hands the matching located actors to the cluster layer,
   which groups them per zoom on a grid and draws only what is in the viewport (see cluster.js).
   Survey text is untrusted: every string reaches the page through textContent; links are
   limited to http(s), mailto and tel. */
(function (window) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
  /* The actors' columns of the "-details" block (safi_map.map.elements.DETAIL_FIELDS). */
  var DETAILS = ['desc', 'web', 'email', 'phone'];
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

  function formatDate(iso) {
    if (!/^\d{4}-\d{2}-\d{2}/.test(iso || '')) { return iso || ''; }
    var dt = new Date(iso.slice(0, 10) + 'T12:00:00Z');
    try {
      return dt.toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    } catch (err) { return iso.slice(0, 10); }
  }

  /* Do two elements' boxes intersect on screen? */
  function overlaps(a, b) {
    if (!a || !b) { return false; }
    var r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    return r.width > 0 && q.width > 0 && r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom;
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
        var st = SafiMap.hashFilters(window.location.hash);
        for (var k in st) { if (Object.prototype.hasOwnProperty.call(st, k)) { self.state[k] = st[k]; } }
        self._stateFromUrl = true;
      }
      self._fitActors();
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
      this._loadDetails();
    }
  };

  /* The actors' descriptions and contacts (the "-details" block: two thirds of the data at
     50,000 actors), decoded once the map is ready; then the open card, the directory and a
     search typed meanwhile are brought up to date, and the folded text for search is built
     when the browser is idle (about 0.1 s for 50,000 actors). */
  App.prototype._loadDetails = function () {
    var self = this, t0 = now();
    this.detailsPromise = loadBlock((this.opts.data_id || 'safi-data') + '-details').then(function (d) {
      var A = self.data.actors;
      DETAILS.forEach(function (k) { if (d && d[k]) { A[k] = d[k]; } });
      self.detailsLoaded = true;
      self.timings.details = now() - t0;
      self.timings.detailsSinceNavigation = now();
      self.haystack = null;
      if (self.state.q.trim()) { self.apply({}); }
      if (self.selected >= 0 && self.map.hasLayer(self.popup)) {
        var el = self.popup.getElement(), focused = el && el.contains(document.activeElement);
        self.popup.setContent(self.card(self.selected, 'popup'));
        var title = focused && self.popup.getElement().querySelector('.safi-card-title');
        if (title) { title.focus(); }  /* a keyboard user stays in the card */
      }
      self._emit('details');
      var build = function () { self._buildHaystack(); };
      if (window.requestIdleCallback) { window.requestIdleCallback(build, { timeout: 1500 }); } else { window.setTimeout(build, 200); }
    }, function (err) {
      self.detailsLoaded = true;  /* the map works without them */
      if (window.console) { window.console.error('safi-map: cannot read the actors\' details', err); }
    });
    return this.detailsPromise;
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
    /* Descriptions and contacts come in a second block, decoded once the map is ready
       (_loadDetails): empty until then, so a popup or a search meanwhile still works. */
    this.detailsLoaded = false;
    DETAILS.forEach(function (k) { if (!A[k]) { A[k] = new Array(n).fill(''); } });

    /* New since the last stop (optional column: indices of the new actors). */
    this.isNew = new Uint8Array(n);
    this.newCount = 0;
    (A['new'] || []).forEach(function (k) {
      if (k >= 0 && k < n && !self.isNew[k]) { self.isNew[k] = 1; self.newCount++; }
    });
    this.hasNew = this.newCount > 0;
    this.state.n = false;

    /* Open now (optional column: [[index, open minutes of the week], ...], see hours.js): the
       browser decides with the time of France, again at every filter. */
    this.hours = A.hours || [];
    this.hasHours = this.hours.length > 0 && !!window.SafiHours;
    this.isOpen = new Uint8Array(n);
    this.state.o = false;

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

  /* A page of few actors in a small area (an export of one commune, a stop) opens on them,
     not on the whole region; the URL's view, read later, still wins. Only when every located
     actor lies inside the region's frame. */
  App.prototype._fitActors = function () {
    var b = null, i, frame = this.opts.bounds ? L.latLngBounds(this.opts.bounds) : null;
    for (i = 0; i < this.n; i++) {
      if (!this.hasLoc[i]) { continue; }
      if (b) { b.extend([this.lat[i], this.lon[i]]); } else { b = L.latLngBounds([this.lat[i], this.lon[i]], [this.lat[i], this.lon[i]]); }
    }
    if (!b || (frame && !frame.contains(b))) { return; }
    this.map.fitBounds(b, { padding: [40, 40], maxZoom: 13, animate: false });
  };

  extend({
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
    settled: function () { return this.ready && this.detailsLoaded; },
    /* An overlay (stops, events, outlines): listed for the layers menu, and added to it now if
       the menu exists (else layers.js adds every listed overlay when it makes the menu). */
    addOverlay: function (key, label, layer) {
      var ov = { key: key, label: label, layer: layer };
      this.overlays = this.overlays || [];
      this.overlays.push(ov);
      if (this.layerControl) { this.layerControl.addOverlay(layer, label); ov.inControl = true; }
    },
    /* What the cluster layer draws: {clusters, points, total} (total = actors in the viewport). */
    drawn: function () { return this.clusterLayer.drawn; }
  });

  /* Methods of the application object, added by the control files. */
  function extend(methods) {
    Object.keys(methods).forEach(function (k) { App.prototype[k] = methods[k]; });
  }

  /* app[name](options): fn(app, options) once the data are decoded (queued until then, and run
     in the order of the calls). `pre(app, options)`, if given, runs at the call. */
  function control(name, fn, pre) {
    App.prototype['_' + name] = function () {
      return fn.apply(null, [this].concat(Array.prototype.slice.call(arguments)));
    };
    App.prototype[name] = function () {
      var args = Array.prototype.slice.call(arguments);
      if (args.length === 0) { args.push({}); }
      if (args[0] === null || args[0] === undefined) { args[0] = {}; }
      if (this._queue) {
        this._queue.push(['_' + name, args]);
        if (pre) { pre.apply(null, [this].concat(args)); }
        return undefined;
      }
      return this['_' + name].apply(this, args);
    };
  }

  /* ------------------------------------------------------------------ page chrome */
  function initToggle() {
    var btn = document.querySelector('.safi-toggle');
    var panel = document.getElementById('safi-panel');
    if (!btn || !panel || btn._safiToggle) { return; }
    btn._safiToggle = true;
    btn.addEventListener('click', function () {
      var open = btn.getAttribute('aria-expanded') !== 'true';
      btn.setAttribute('aria-expanded', open ? 'true' : 'false');
      panel.classList.toggle('safi-panel-open', open);
      if (open) { panel.focus(); }
    });
  }

  var SafiMap = {
    apps: [],
    App: App,
    extend: extend,
    control: control,
    fold: fold,
    safeHref: safeHref,
    util: {
      HEX: HEX, now: now, fold: fold, h: h, fmt: fmt, number: number, safeHref: safeHref,
      iconSvg: iconSvg, swatch: swatch, csr: csr, loadBlock: loadBlock, onActivate: onActivate,
      formatDate: formatDate, overlaps: overlaps
    },
    create: function (map, opts) {
      var app = new App(map, opts);
      initToggle();
      return app;
    }
  };
  window.SafiMap = SafiMap;
})(window);
