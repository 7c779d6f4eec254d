/* popup.js: markers, the actor card (popup and directory), the list of a place's actors.

   Actors at one point (commune-level geocoding puts several on the commune's point) are one
   marker showing their count; it opens the list of them (never a fake spread of positions).
   Keyboard: Enter/Space on a marker or cluster opens it, focus goes to the popup's title,
   Escape closes the popup and gives the focus back to what opened it. */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, number = u.number, swatch = u.swatch, safeHref = u.safeHref, onActivate = u.onActivate;

  SafiMap.extend({
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
      this._rememberOpener();
      this.popup.setLatLng(latlng).setContent(root).openOn(this.map);
      this._escapeCloses();
      title.focus();
      if (was >= 0) { this._emit('select'); }
    },
    _newBadge: function () { return h('span', { 'class': 'safi-new' }, this.label('new_badge')); },
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
      this._rememberOpener();
      this.popup.setLatLng([this.lat[i], this.lon[i]]).setContent(content);
      this.popup.openOn(this.map);
      this._escapeCloses();
      if (how && how.focus) {
        var t = content.querySelector('.safi-card-title');
        if (t) { t.focus(); }
      }
      this._emit('select');
    },
    /* What had the focus when a popup opened (a marker, a cluster, a directory button): it gets
       the focus back when Escape closes the popup. A choice inside the popup keeps the first. */
    _rememberOpener: function () {
      var el = document.activeElement, popupEl = this.popup.getElement();
      if (el && el !== document.body && !(popupEl && popupEl.contains(el) && this.map.hasLayer(this.popup))) { this._opener = el; }
    },
    /* Escape in a popup closes it and gives the focus back (Leaflet only listens for Escape
       when the map itself has the focus, not the popup's content). */
    _escapeCloses: function () {
      var self = this, el = this.popup.getElement();
      if (!el || el._safiEscape) { return; }
      el._safiEscape = true;  /* the popup (and its element) is reused: one listener */
      el.addEventListener('keydown', function (ev) {
        if (ev.key !== 'Escape' && ev.keyCode !== 27) { return; }
        ev.preventDefault();
        L.DomEvent.stopPropagation(ev);
        self.map.closePopup(self.popup);
        var back = self._opener;
        self._opener = null;
        if (back && document.body.contains(back)) { back.focus(); } else { self.map.getContainer().focus(); }
      });
    },
    /* From the directory: zoom in on the actor (past clustering), open its popup. */
    focusActor: function (i) {
      if (!this.hasLoc[i]) { return; }
      var z = Math.max(this.map.getZoom(), this.opts.cluster_off_zoom || 15);
      this.map.setView([this.lat[i], this.lon[i]], Math.min(z, this.maxZoom), { animate: false });
      this.openActor(i, { focus: true });
    }
  });
})(window, window.SafiMap);
