/* events.js: "Rendez-vous", the actors' upcoming events (issue #16; data from
   safi_map/map/events.py: public events only, each with a point).

   Upcoming is decided here, with the visitor's date, as on the Agenda page (site/agenda.js): an
   event is shown until the end of its day; the built page is the same whatever day it
   was built. The events follow the map's filters where they mean something for an event:
   the commune filter (where it takes place) and the text search (title, place, organiser) for
   every event; the theme, legal-form and stop filters through the event's actor (an event
   without actor is not judged by them). "Nouveaux" and "Ouvert maintenant" describe actors,
   not events: they do not hide events.
   Events whose icons would overlap at the current zoom (at one place, or in neighbouring
   streets seen from afar) share one marker whose popup lists them all, with their number on
   the marker: each stays reachable at every zoom, and no event is drawn away from its place
   (an offset would misplace it, and still overlap when many share a point). */
(function (window, SafiMap) {
  'use strict';
  var L = window.L;
  var document = window.document;
  var u = SafiMap.util;
  var h = u.h, fold = u.fold, iconSvg = u.iconSvg, number = u.number;
  var NEAR_PX = 26;  /* icons are 30 px wide */
  var SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/, SAFE_PATH = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*\.ics$/;

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /* The visitor's date (YYYY-MM-DD), as the Agenda page decides it. */
  function today(date) {
    var d = date || new Date();
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  }

  function httpHref(url) {
    var s = u.safeHref(url);
    return /^https?:\/\//i.test(s) ? s : '';
  }

  /* Does event e pass the filters of state s? */
  function passes(app, e, s, words) {
    if (s.commune && e.commune_code !== s.commune) { return false; }
    if (words.length) {
      var text = fold([e.title, e.place, e.commune, organiser(app, e)].join(' '));
      for (var w = 0; w < words.length; w++) { if (text.indexOf(words[w]) < 0) { return false; } }
    }
    var i = e.actor, k;
    if (!(i >= 0 && i < app.n)) { return true; }
    if (s.themes.length) {
      var off = app.themeCsr.off, val = app.themeCsr.val, ok = false;
      for (k = off[i]; k < off[i + 1] && !ok; k++) { ok = s.themes.indexOf(app.data.themes[val[k]].slug) >= 0; }
      if (!ok) { return false; }
    }
    if (s.legal.length) {
      var lf = app.data.legal_forms[app.legal[i]];
      if (!lf || s.legal.indexOf(lf.slug) < 0) { return false; }
    }
    if (s.stop) {
      var want = app.stopIndex[s.stop], soff = app.stopCsr.off, sval = app.stopCsr.val, found = false;
      for (k = soff[i]; k < soff[i + 1]; k++) { if (sval[k] === want) { found = true; break; } }
      if (!found) { return false; }
    }
    return true;
  }

  function organiser(app, e) {
    return e.actor >= 0 && e.actor < app.n ? app.names[e.actor] : (e.organiser || '');
  }

  function link(app, href, text, attrs) {
    var a = h('a', attrs || {}, text);
    a.setAttribute('href', href);
    if (app.linkTarget && !(attrs && attrs.target)) { a.setAttribute('target', app.linkTarget); }
    return a;
  }

  /* One event: its day and time, title, place, organiser and links. */
  function eventBody(app, page, e, heading) {
    var root = h('div', { 'class': 'safi-event' });
    root.appendChild(h(heading, { 'class': 'safi-event-title' }, e.title));
    root.appendChild(h('p', { 'class': 'safi-event-when' }, e.when));
    var where = [e.place, e.commune].filter(function (x) { return !!x; }).join(', ');
    if (where) { root.appendChild(h('p', { 'class': 'safi-event-where' }, where)); }
    var who = organiser(app, e);
    if (who) {
      var by = h('p', { 'class': 'safi-event-by' }, app.label('event_by') + ' ');
      var href = e.actor >= 0 && e.actor < app.n ? app.actorHref(e.actor) : '';
      by.appendChild(href ? link(app, href, who) : document.createTextNode(who));
      root.appendChild(by);
    }
    var links = h('ul', { 'class': 'safi-card-links' });
    var add = function (a) { var li = h('li'); li.appendChild(a); links.appendChild(li); };
    if (SAFE_ID.test(e.id)) { add(link(app, page + '#evt-' + e.id, app.label('event_agenda'))); }
    if (SAFE_PATH.test(e.ics)) { add(link(app, e.ics, app.label('event_ics'), { type: 'text/calendar', download: '' })); }
    var url = httpHref(e.url);
    if (url) { add(link(app, url, app.label('event_more'), { rel: 'noopener noreferrer nofollow', target: '_blank' })); }
    root.appendChild(links);
    return root;
  }

  /* "3 rendez-vous à cet endroit" (one point) or "dans ce secteur" (neighbours seen from afar). */
  function groupLabel(app, list) {
    var one = list.every(function (e) { return e.lat === list[0].lat && e.lon === list[0].lon; });
    return app.label(one ? 'event_here' : 'event_near', { n: number(list.length) });
  }

  function popupContent(app, page, list) {
    var root = h('div', { 'class': 'safi-card safi-event-card' });
    if (list.length === 1) {
      root.appendChild(eventBody(app, page, list[0], 'h3'));
      return root;
    }
    root.appendChild(h('h3', null, groupLabel(app, list)));
    var ul = h('ul', { 'class': 'safi-event-list' });
    list.forEach(function (e) { var li = h('li'); li.appendChild(eventBody(app, page, e, 'h4')); ul.appendChild(li); });
    root.appendChild(ul);
    return root;
  }

  function marker(app, page, list) {
    var e = list[0];
    var html = '<span class="safi-event-pin">' + iconSvg('calendar') +
      (list.length > 1 ? '<span class="safi-event-count">' + Number(list.length) + '</span>' : '') + '</span>';
    var icon = L.divIcon({
      className: 'safi-event-marker', html: html,
      /* Up and to the left of the point (the tour stops sit up and to the right): the actor's
         own marker or cluster drawn there stays visible and clickable. */
      iconSize: [30, 30], iconAnchor: [36, 32], popupAnchor: [-21, -30]
    });
    /* Above the tour stops (past dates, mostly), below the clusters (their counts stay legible). */
    var communes = [];
    list.forEach(function (x) { if (x.commune && communes.indexOf(x.commune) < 0) { communes.push(x.commune); } });
    var title = list.length === 1 ? e.title + ' — ' + e.when
      : groupLabel(app, list) + (communes.length ? ' — ' + communes.join(', ') : '');
    var m = L.marker([e.lat / 1e5, e.lon / 1e5], { icon: icon, title: title, alt: title, zIndexOffset: 1500, keyboard: true });
    m.bindPopup(function () { return popupContent(app, page, list); }, {
      className: 'safi-popup', maxWidth: 300, minWidth: 200,
      autoPanPaddingTopLeft: [30, 70], autoPanPaddingBottomRight: [30, 30]
    });
    return m;
  }

  function addEvents(app) {
    var block = app.data.events;
    if (!block || !block.items || !block.items.length) { return; }
    var page = /^[A-Za-z0-9_-]+\.html$/.test(block.page || '') ? block.page : 'agenda.html';
    var items = block.items.filter(function (e) {
      return typeof e.lat === 'number' && typeof e.lon === 'number' && /^\d{4}-\d{2}-\d{2}$/.test(e.date);
    });
    var group = L.layerGroup();
    var state = { layer: group, shown: [], upcoming: 0, key: null };
    app.eventLayer = state;

    function redraw() {
      var day = today(new Date()), s = app.state, map = app.map, zoom = map.getZoom();
      var words = fold(s.q || '').split(/\s+/).filter(function (w) { return w.length > 0; });
      var upcoming = items.filter(function (e) { return e.date >= day; });
      var shown = upcoming.filter(function (e) { return passes(app, e, s, words); });
      state.upcoming = upcoming.length;
      state.shown = shown.map(function (e) { return e.id; });
      /* Events whose icons would overlap at this zoom share one marker. */
      var places = [];
      shown.forEach(function (e) {
        var pt = map.project([e.lat / 1e5, e.lon / 1e5], zoom), place = null;
        for (var k = 0; k < places.length && !place; k++) {
          if (Math.abs(places[k].pt.x - pt.x) < NEAR_PX && Math.abs(places[k].pt.y - pt.y) < NEAR_PX) { place = places[k]; }
        }
        if (place) { place.list.push(e); } else { places.push({ pt: pt, list: [e] }); }
      });
      var key = places.map(function (p) { return p.list.map(function (e) { return e.id; }).join(','); }).join(' ');
      if (key === state.key) { return; }  /* same markers: an open popup stays open */
      state.key = key;
      group.clearLayers();
      places.forEach(function (p) { group.addLayer(marker(app, page, p.list)); });
    }

    redraw();
    if (!state.upcoming) { return; }  /* only past events: no layer at all */
    app.on('change', redraw);
    app.map.on('zoomend', redraw);
    group.addTo(app.map);
    app.addOverlay('events', app.label('event_layer'), group);
  }

  SafiMap.control('addEvents', addEvents);
})(window, window.SafiMap);
