/* download.js: "Télécharger la sélection". The actors the filters select, as CSV (French
   Excel: UTF-8 with BOM, ";" separator) or GeoJSON, made in the browser from the embedded data,
   which hold public fields only (safi_map.map_payload passes the actors through the consent
   gate: e-mail and phone only where the actor agreed). Columns are those of the site's data
   files; the description is the map's short one.

   CSV cells that a spreadsheet would run as a formula are neutralised with the rule of
   safi_map/csvsafe.py: a text cell starting with = + - @ tab or carriage return gets a leading
   single quote; numeric columns (latitude, longitude) are written as numbers. */
(function (window, SafiMap) {
  'use strict';
  var document = window.document;
  var h = SafiMap.util.h;
  var FORMULA = /^[=+\-@\t\r]/;
  var COLUMNS = ['actor_id', 'name', 'legal_form', 'themes', 'description', 'commune', 'insee_code',
    'department', 'latitude', 'longitude', 'website', 'email', 'phone', 'stops'];
  var NUMERIC = { latitude: true, longitude: true };

  /* A text cell that a spreadsheet shows as text (csvsafe.neutralise). */
  function neutralise(text) { return FORMULA.test(text) ? "'" + text : text; }

  function csvCell(value) {
    var s = String(value);
    return /[";\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  /* The public record of actor i: column -> value (lists as arrays, coordinates as numbers). */
  function record(app, i) {
    var d = app.data, A = d.actors, themes = [], stops = [], k;
    for (k = app.themeCsr.off[i]; k < app.themeCsr.off[i + 1]; k++) { themes.push(d.themes[app.themeCsr.val[k]].slug); }
    for (k = app.stopCsr.off[i]; k < app.stopCsr.off[i + 1]; k++) { stops.push(d.stops[app.stopCsr.val[k]].id); }
    var c = app.commune[i] >= 0 ? d.communes[app.commune[i]] : null, lf = d.legal_forms[app.legal[i]];
    return {
      actor_id: A.id[i], name: A.name[i], legal_form: lf ? lf.slug : '', themes: themes,
      description: A.desc[i] || '', commune: c ? c.name : '', insee_code: c ? c.code : '',
      department: c ? c.dep : '', latitude: app.hasLoc[i] ? app.lat[i] : null,
      longitude: app.hasLoc[i] ? app.lon[i] : null, website: A.web[i] || '',
      email: A.email[i] || '', phone: A.phone[i] || '', stops: stops
    };
  }

  /* The selected rows, in the directory's order (by distance when "Près de moi" sorts it). */
  function selection(app) {
    var idx = [];
    for (var i = 0; i < app.n; i++) { if (app.match[i]) { idx.push(i); } }
    return app.near ? app.near.sort(idx) : idx;
  }

  function toCsv(app) {
    var lines = [COLUMNS.join(';')];
    selection(app).forEach(function (i) {
      var r = record(app, i);
      lines.push(COLUMNS.map(function (col) {
        var v = r[col];
        if (NUMERIC[col]) { return v === null ? '' : String(v); }
        return csvCell(neutralise(Array.isArray(v) ? v.join(';') : String(v)));
      }).join(';'));
    });
    return '\ufeff' + lines.join('\r\n') + '\r\n';
  }

  function toGeoJson(app) {
    var features = selection(app).map(function (i) {
      var r = record(app, i);
      var props = {};
      COLUMNS.forEach(function (col) { if (!NUMERIC[col]) { props[col] = r[col]; } });
      return {
        type: 'Feature',
        geometry: r.latitude === null ? null : { type: 'Point', coordinates: [r.longitude, r.latitude] },
        properties: props
      };
    });
    return JSON.stringify({ type: 'FeatureCollection', features: features }) + '\n';
  }

  function save(text, type, name) {
    var url = window.URL.createObjectURL(new window.Blob([text], { type: type }));
    var a = h('a', { href: url, download: name });
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { window.URL.revokeObjectURL(url); }, 10000);
  }

  function addDownloads(app) {
    var form = app.filterForm;
    if (!form) { return; }
    var box = h('div', { 'class': 'safi-downloads', role: 'group', 'aria-labelledby': 'safi-downloads-title' });
    box.appendChild(h('p', { id: 'safi-downloads-title', 'class': 'safi-downloads-title' }, app.label('download_title')));
    var csv = h('button', { type: 'button', 'class': 'safi-show safi-download-csv' }, app.label('download_csv'));
    var geo = h('button', { type: 'button', 'class': 'safi-show safi-download-geojson' }, app.label('download_geojson'));
    /* Descriptions and contacts are decoded just after the map is ready: wait for them. */
    function whenDetails(fn) { if (app.detailsLoaded || !app.detailsPromise) { fn(); } else { app.detailsPromise.then(fn); } }
    csv.addEventListener('click', function () { whenDetails(function () { save(toCsv(app), 'text/csv;charset=utf-8', 'acteurs-selection.csv'); }); });
    geo.addEventListener('click', function () { whenDetails(function () { save(toGeoJson(app), 'application/geo+json', 'acteurs-selection.geojson'); }); });
    box.appendChild(csv);
    box.appendChild(document.createTextNode(' '));
    box.appendChild(geo);
    form.appendChild(box);
  }

  SafiMap.selectionCsv = toCsv;
  SafiMap.selectionGeoJson = toGeoJson;
  SafiMap.control('addDownloads', addDownloads);
})(window, window.SafiMap);
