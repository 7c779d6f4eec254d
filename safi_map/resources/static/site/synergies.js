// Synergies page: the structures, one collapsed block each ("Peut être aidée par", "Peut aider"),
// a page at a time, filtered by a text (name, commune, theme, department), a need or resource,
// a department and a theme. Data comes from <script type="application/json" id="synergies-data">
// (escaped by the builder); every survey string is inserted with textContent, never as HTML.
// Works from file:// and under the site's Content-Security-Policy (this file, no inline script).
(function () {
  "use strict";
  var source = document.getElementById("synergies-data");
  var box = document.getElementById("syn-groups");
  var count = document.getElementById("syn-count");
  var more = document.getElementById("syn-more");
  var form = document.getElementById("syn-filters");
  if (!source || !box || !count || !form) { return; }
  var data = JSON.parse(source.textContent);
  var actors = data.actors, pairs = data.pairs, groups = data.groups;
  var page = data.page || 20;
  var inputText = document.getElementById("syn-name");
  var selResource = document.getElementById("syn-resource");
  var selDepartment = document.getElementById("syn-department");
  var selTheme = document.getElementById("syn-theme");
  var nojs = document.getElementById("syn-nojs");
  if (nojs) { nojs.hidden = true; }
  var themeIndex = {}, resourceIndex = {}, departmentNames = {};
  data.themes.forEach(function (t, i) { themeIndex[t[0]] = i; });
  data.resources.forEach(function (r, i) { resourceIndex[r[0]] = i; });
  data.departments.forEach(function (d) { departmentNames[d[0]] = d[1]; });
  var formatter = (typeof Intl !== "undefined") ? new Intl.NumberFormat("fr-FR") : null;
  var matches = [];
  var shown = 0;

  function number(n) { return formatter ? formatter.format(n) : String(n); }

  // Case- and accent-insensitive words, for the text filter.
  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // What the text filter searches in, per group: name, commune, department, themes.
  var haystacks = groups.map(function (g) {
    var a = actors[g[0]];
    var themes = a[4].map(function (t) { return data.themes[t][1]; }).join(" ");
    return fold([a[1], a[2], departmentNames[a[3]] || "", themes].join(" "));
  });

  function km(d) {
    if (d === null || d === undefined) { return "distance inconnue"; }
    // As safi_map.core.text.french_distance, a no-break space before the unit.
    if (d < 0.1) { return "à moins de 100\u00a0m"; }
    if (d < 10) { return "à " + d.toFixed(1).replace(".", ",") + "\u00a0km"; }
    return "à " + Math.round(d) + "\u00a0km";
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function entry(p, other, verb) {
    var a = actors[p[other]];
    var li = el("li");
    var link = el("a", "", a[1]);
    link.href = "acteurs/" + encodeURIComponent(a[0]) + ".html";
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "muted", "— " + verb + "\u00a0: " + data.resources[p[2]][1] +
      (a[2] ? ", " + a[2] : "") + ", " + km(p[3])));
    return li;
  }

  function list(title, cls, items) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h3", "", title));
    var ul = el("ul", "syn-list " + cls);
    items.forEach(function (li) { ul.appendChild(li); });
    frag.appendChild(ul);
    return frag;
  }

  function labels(positions) {
    return positions.map(function (r) { return data.resources[r][1]; }).join(", ");
  }

  function needsOf(g) {
    var seen = {}, out = [];
    for (var i = g[1]; i < g[2]; i++) {
      if (!seen[pairs[i][2]]) { seen[pairs[i][2]] = true; out.push(pairs[i][2]); }
    }
    return out.sort(function (x, y) { return x - y; });
  }

  function group(g, r) {
    var a = actors[g[0]];
    var details = el("details", "syn-group");
    details.setAttribute("data-actor", a[0]);
    var summary = el("summary");
    summary.appendChild(el("span", "syn-name", a[1]));
    if (a[2]) {
      summary.appendChild(document.createTextNode(" "));
      summary.appendChild(el("span", "syn-commune", a[2]));
    }
    var needs = needsOf(g);
    if (needs.length) { summary.appendChild(el("span", "syn-tags", "Cherche\u00a0: " + labels(needs))); }
    if (g[5].length) { summary.appendChild(el("span", "syn-tags", "Peut apporter\u00a0: " + labels(g[5]))); }
    details.appendChild(summary);
    var body = el("div", "syn-body");
    var helpers = [], helps = [];
    for (var i = g[1]; i < g[2]; i++) {
      if (r === null || pairs[i][2] === r) { helpers.push(entry(pairs[i], 1, "propose")); }
    }
    g[3].forEach(function (j) {
      if (r === null || pairs[j][2] === r) { helps.push(entry(pairs[j], 0, "cherche")); }
    });
    if (helpers.length) { body.appendChild(list("Peut être aidée par", "syn-helpers", helpers)); }
    if (helps.length) {
      body.appendChild(list("Peut aider", "syn-helps", helps));
      var rest = g[4] - g[3].length;
      if (rest > 0) {
        body.appendChild(el("p", "muted small", r === null ?
          "Et " + number(rest) + (rest > 1 ? " autres structures" : " autre structure") +
          "\u00a0: voir le fichier CSV." : "D'autres structures encore\u00a0: voir le fichier CSV."));
      }
    }
    var p = el("p", "syn-card-link");
    var link = el("a", "", "Voir la fiche de la structure");
    link.href = "acteurs/" + encodeURIComponent(a[0]) + ".html";
    p.appendChild(link);
    body.appendChild(p);
    details.appendChild(body);
    return details;
  }

  function hasResource(g, r) {
    for (var i = g[1]; i < g[2]; i++) { if (pairs[i][2] === r) { return true; } }
    return g[5].indexOf(r) !== -1;
  }

  var current = null;

  function showMore() {
    var stop = Math.min(matches.length, shown + page);
    var frag = document.createDocumentFragment();
    for (var i = shown; i < stop; i++) { frag.appendChild(group(groups[matches[i]], current)); }
    box.appendChild(frag);
    shown = stop;
    if (more) { more.hidden = shown >= matches.length; }
  }

  function apply() {
    var r = selResource && selResource.value ? resourceIndex[selResource.value] : undefined;
    current = (r === undefined) ? null : r;
    var dep = selDepartment ? selDepartment.value : "";
    var t = selTheme && selTheme.value ? themeIndex[selTheme.value] : undefined;
    var words = inputText ? fold(inputText.value).split(/\s+/).filter(Boolean) : [];
    matches = [];
    groups.forEach(function (g, k) {
      var a = actors[g[0]];
      if (current !== null && !hasResource(g, current)) { return; }
      if (dep && a[3] !== dep) { return; }
      if (t !== undefined && a[4].indexOf(t) === -1) { return; }
      for (var w = 0; w < words.length; w++) {
        if (haystacks[k].indexOf(words[w]) === -1) { return; }
      }
      matches.push(k);
    });
    while (box.firstChild) { box.removeChild(box.firstChild); }
    shown = 0;
    showMore();
    var total = matches.length;
    count.textContent = total === 0 ? "Aucune structure pour ces critères" :
      number(total) + (total > 1 ? " structures" : " structure");
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  [selResource, selDepartment, selTheme].forEach(function (s) {
    if (s) { s.addEventListener("change", apply); }
  });
  if (inputText) { inputText.addEventListener("input", apply); }
  if (more) { more.addEventListener("click", showMore); }
  apply();
}());
