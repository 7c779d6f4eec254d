/* directory.js: the accessible, paginated list of results next to the map. */
(function (window, SafiMap) {
  'use strict';
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, number = u.number;

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
    /* "Près de moi" (near.js): the list sorted by distance from a point. */
    app.on('near', function () { self.page = 0; self.render(false); });
    /* The descriptions arrive after the map is ready: the cards shown get theirs. */
    app.on('details', function () { self.render(false); });
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
      return app.near ? app.near.sort(out) : out;
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
        var li = h('li'), card = app.card(idx[k], 'list');
        if (app.near && app.hasLoc[idx[k]]) {
          var title = card.querySelector('.safi-card-title');
          title.parentNode.insertBefore(h('p', { 'class': 'safi-distance' }, app.near.text(idx[k])), title.nextSibling);
        }
        li.appendChild(card);
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

  SafiMap.control('addDirectory', function (app, o) { new Directory(app, o); });
})(window, window.SafiMap);
