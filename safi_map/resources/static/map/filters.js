/* filters.js: the filter panel (free text, new since the last stop, themes, legal forms,
   commune, tour stop) with live counts; choosing a commune moves the map to its actors. */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, number = u.number, fold = u.fold, swatch = u.swatch, formatDate = u.formatDate;

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

    /* "Open now": only when some actors give their opening hours. */
    this.openBox = null;
    if (app.hasHours) {
      var labO = h('label', { 'class': 'safi-open-only' });
      this.openBox = h('input', { type: 'checkbox', name: 'open', value: '1' });
      this.openBox.addEventListener('change', function () { app.setState({ o: self.openBox.checked }, { push: true }); });
      labO.appendChild(this.openBox);
      labO.appendChild(h('span', { 'class': 'safi-opt-label' }, app.label('open_now')));
      this.openCount = h('span', { 'class': 'safi-opt-count' });
      labO.appendChild(this.openCount);
      form.appendChild(labO);
    }

    var themes = this._checkboxGroup(form, 'safi-themes', app.label('themes'), 'theme', 'themes', d.themes);
    this.themeBoxes = themes.boxes;
    this.themeCounts = themes.counts;
    var legal = this._checkboxGroup(form, 'safi-legal', app.label('legal_forms'), 'legal', 'legal', d.legal_forms);
    this.legalBoxes = legal.boxes;
    this.legalCounts = legal.counts;
    this._communeField(form);

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
    app.filterForm = form;  /* download.js adds its buttons at the end */
    app.on('change', function () { self.update(); });
    this.update();
  }

  FilterPanel.prototype = {
    /* A fieldset of checkboxes (themes: with their colour and icon), each with its live count. */
    _checkboxGroup: function (form, cls, legend, name, key, items) {
      var self = this, boxes = [], counts = [];
      var fs = h('fieldset', { 'class': cls }), ul = h('ul');
      fs.appendChild(h('legend', null, legend));
      items.forEach(function (t) {
        var li = h('li'), lab = h('label');
        var box = h('input', { type: 'checkbox', name: name, value: t.slug });
        box.addEventListener('change', function () { self._checkboxes(key, boxes); });
        lab.appendChild(box);
        if (t.colour) { lab.appendChild(swatch(t.colour, t.icon)); }
        lab.appendChild(h('span', { 'class': 'safi-opt-label' }, t.label));
        var c = h('span', { 'class': 'safi-opt-count' });
        lab.appendChild(c);
        li.appendChild(lab); ul.appendChild(li);
        boxes.push(box); counts.push(c);
      });
      fs.appendChild(ul);
      form.appendChild(fs);
      return { boxes: boxes, counts: counts };
    },
    /* Commune: type-ahead over the communes that have actors. */
    _communeField: function (form) {
      var self = this, app = this.app, d = app.data;
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
    },
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
      if (this.openBox) {
        this.openBox.checked = !!s.o;
        this.openCount.textContent = ' (' + number(c.open) + ')';
        this.openCount.setAttribute('data-count', String(c.open));
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

  SafiMap.control('addFilterPanel', function (app, o) { app.filterPanel = new FilterPanel(app, o); });
})(window, window.SafiMap);
