/* selection.js: the filter state and the matching set, computed over typed arrays.

   compute() makes app.match (1 = the actor passes every filter) and the counts each option of
   the panel shows (how many actors would match if that option were added: an actor failing
   only the theme filter counts for its themes, and so on). apply() then hands the matching
   located actors to the cluster layer and tells the controls ('change'). */
(function (window, SafiMap) {
  'use strict';
  var u = SafiMap.util;
  var fold = u.fold, now = u.now;

  SafiMap.extend({
    _buildHaystack: function () {
      if (this.haystack) { return this.haystack; }
      var t0 = now(), A = this.data.actors, out = new Array(this.n);
      for (var i = 0; i < this.n; i++) { out[i] = fold(A.name[i] + ' ' + A.desc[i]); }
      this.haystack = out;
      this.timings.haystack = now() - t0;
      return out;
    },
    isFiltered: function (s) {
      s = s || this.state;
      return !!(s.themes.length || s.legal.length || s.commune || s.stop || s.q.trim() || (s.n && this.hasNew) || (s.o && this.hasHours));
    },
    /* Which actors are open now (time of France); counted for the panel even when not asked. */
    _refreshOpen: function () {
      var isOpen = this.isOpen, open = this.hasHours ? window.SafiHours.openIndexes(this.hours, new Date()) : [];
      isOpen.fill(0);
      for (var k = 0; k < open.length; k++) { if (open[k] >= 0 && open[k] < this.n) { isOpen[open[k]] = 1; } }
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
      var activeO = !!(s.o && this.hasHours), cO = 0, isOpen = this.isOpen;
      if (this.hasHours) { this._refreshOpen(); }
      var cT = new Int32Array(nT), cL = new Int32Array(nL), cC = new Int32Array(nC), cS = new Int32Array(nS);
      var count = 0, nw = words.length;
      for (i = 0; i < n; i++) {
        var ft = 1, fl = 1, fc = 1, fs = 1, fq = 1, fn = 1, fo = 1;
        if (activeN) { fn = isNew[i]; }
        if (activeO) { fo = isOpen[i]; }
        a = tOff[i]; b = tOff[i + 1];
        if (activeT) { ft = 0; for (k = a; k < b; k++) { if (selT[tVal[k]]) { ft = 1; break; } } }
        if (activeL) { fl = selL[legal[i]]; }
        if (activeC) { fc = commune[i] === cIdx ? 1 : 0; }
        if (activeS) { fs = 0; for (k = sOff[i]; k < sOff[i + 1]; k++) { if (selS[sVal[k]]) { fs = 1; break; } } }
        if (activeQ) { var text = hay[i]; for (k = 0; k < nw; k++) { if (text.indexOf(words[k]) < 0) { fq = 0; break; } } }
        var fails = 7 - (ft + fl + fc + fs + fq + fn + fo);
        if (fails === 0) {
          match[i] = 1; count++; cN += isNew[i]; cO += isOpen[i];
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
      this.counts = { themes: cT, legal: cL, communes: cC, stops: cS, 'new': cN, open: cO };
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
    }
  });
})(window, window.SafiMap);
