// Synergies page: filters the suggested pairs by need, department and theme.
// Data comes from <script type="application/json" id="synergies-data"> (escaped by the builder);
// every survey string is inserted with textContent, never as HTML. Works from file://.
(function () {
  "use strict";
  var source = document.getElementById("synergies-data");
  var body = document.getElementById("syn-rows");
  var count = document.getElementById("syn-count");
  var more = document.getElementById("syn-more");
  var form = document.getElementById("syn-filters");
  if (!source || !body || !count || !form) { return; }
  var data = JSON.parse(source.textContent);
  var actors = data.actors, pairs = data.pairs;
  var page = data.page || 200;
  // On a phone each suggestion is a card: fewer at a time, "more" shows the next ones.
  if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) { page = Math.min(page, 25); }
  var inputName = document.getElementById("syn-name");
  var themeIndex = {};
  data.themes.forEach(function (t, i) { themeIndex[t[0]] = i; });
  var resourceIndex = {};
  data.resources.forEach(function (r, i) { resourceIndex[r[0]] = i; });
  var selResource = document.getElementById("syn-resource");
  var selDepartment = document.getElementById("syn-department");
  var selTheme = document.getElementById("syn-theme");
  var nojs = document.getElementById("syn-nojs");
  if (nojs) { nojs.hidden = true; }
  var matches = [];
  var shown = 0;
  var formatter = (typeof Intl !== "undefined") ? new Intl.NumberFormat("fr-FR") : null;

  function number(n) { return formatter ? formatter.format(n) : String(n); }

  function km(d) {
    if (d === null || d === undefined) { return "—"; }
    if (d < 0.1) { return "moins de 100 m"; }
    if (d < 10) { return d.toFixed(1).replace(".", ",") + " km"; }
    return Math.round(d) + " km";
  }

  // Case- and accent-insensitive words, for the structure name filter.
  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function hasTheme(actor, t) { return actor[4].indexOf(t) !== -1; }

  function actorCell(actor) {
    var td = document.createElement("td");
    var a = document.createElement("a");
    a.href = "acteurs/" + encodeURIComponent(actor[0]) + ".html";
    a.textContent = actor[1];
    td.appendChild(a);
    if (actor[2]) {
      var span = document.createElement("span");
      span.className = "muted";
      span.textContent = " — " + actor[2];
      td.appendChild(document.createTextNode(" "));
      td.appendChild(span);
    }
    return td;
  }

  function textCell(text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    return td;
  }

  function row(p) {
    var tr = document.createElement("tr");
    tr.appendChild(textCell(data.resources[p[2]][1]));
    tr.appendChild(actorCell(actors[p[0]]));
    tr.appendChild(actorCell(actors[p[1]]));
    tr.appendChild(textCell(km(p[3]), "num"));
    tr.appendChild(textCell(p[4].map(function (t) { return data.themes[t][1]; }).join(", ")));
    return tr;
  }

  function showMore() {
    var stop = Math.min(matches.length, shown + page);
    var frag = document.createDocumentFragment();
    for (var i = shown; i < stop; i++) { frag.appendChild(row(matches[i])); }
    body.appendChild(frag);
    shown = stop;
    if (more) { more.hidden = shown >= matches.length; }
  }

  function apply() {
    var r = selResource && selResource.value ? resourceIndex[selResource.value] : null;
    var dep = selDepartment ? selDepartment.value : "";
    var t = selTheme && selTheme.value ? themeIndex[selTheme.value] : null;
    var words = inputName ? fold(inputName.value).split(/\s+/).filter(Boolean) : [];
    var named = function (a) {
      var hay = fold(a[1] + " " + (a[2] || ""));
      return words.every(function (w) { return hay.indexOf(w) !== -1; });
    };
    matches = pairs.filter(function (p) {
      if (r !== null && r !== undefined && p[2] !== r) { return false; }
      var n = actors[p[0]], h = actors[p[1]];
      if (dep && n[3] !== dep && h[3] !== dep) { return false; }
      if (t !== null && t !== undefined && !hasTheme(n, t) && !hasTheme(h, t)) { return false; }
      if (words.length && !named(n) && !named(h)) { return false; }
      return true;
    });
    while (body.firstChild) { body.removeChild(body.firstChild); }
    shown = 0;
    showMore();
    var total = matches.length;
    count.textContent = total === 0 ? "Aucune mise en relation pour ces critères" :
      number(total) + (total > 1 ? " mises en relation" : " mise en relation");
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  [selResource, selDepartment, selTheme].forEach(function (s) {
    if (s) { s.addEventListener("change", apply); }
  });
  if (inputName) { inputName.addEventListener("input", apply); }
  if (more) { more.addEventListener("click", showMore); }
  apply();
}());
