/* url-state.js: filters, view, selected actor and base map kept in the URL hash (back and
   forward work; a link shares the view). */
(function (window, SafiMap) {
  'use strict';

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
     n=1 new since the last stop, o=1 open now. */
  function hashFilters(hash) {
    var p = hashParams(hash);
    return { themes: decList(p.t), legal: decList(p.f), commune: dec(p.c), stop: dec(p.s), q: dec(p.q), n: p.n === '1', o: p.o === '1' };
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
      if (s.o && app.hasHours) { parts.push('o=1'); }
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

  SafiMap.hashFilters = hashFilters;
  SafiMap.control('addUrlState', function (app, o) { app.urlState = new UrlState(app, o); });
})(window, window.SafiMap);
