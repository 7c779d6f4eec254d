// "Intégrer la carte": the form chooses the map's filters; the iframe code and the preview follow.
// The filters go in the URL's hash as the map reads them (t=themes, c=commune, s=stop).
(function () {
  "use strict";
  var form = document.getElementById("embed-builder");
  var code = document.getElementById("code-integration");
  var preview = document.getElementById("embed-preview");
  if (!form || !code || !preview) { return; }
  var base = code.getAttribute("data-src"), title = code.getAttribute("data-title") || "";
  function attr(v) {  // an attribute value inside the HTML the visitor pastes
    return String(v).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function hash() {
    var parts = [], enc = encodeURIComponent;
    var themes = Array.prototype.filter.call(form.querySelectorAll("input[name=t]"), function (b) { return b.checked; })
      .map(function (b) { return enc(b.value); }).sort();
    if (themes.length) { parts.push("t=" + themes.join(",")); }
    var commune = form.elements.c && form.elements.c.value, stop = form.elements.s && form.elements.s.value;
    if (commune) { parts.push("c=" + enc(commune)); }
    if (stop) { parts.push("s=" + enc(stop)); }
    return parts.length ? "#" + parts.join("&") : "";
  }
  function height() {
    var h = parseInt(form.elements.h.value, 10);
    return isNaN(h) ? 600 : Math.min(1200, Math.max(300, h));
  }
  function update() {
    var h = hash();
    (code.querySelector("code") || code).textContent = '<iframe src="' + attr(base + h) + '" title="' + attr(title) + '" width="100%" height="' +
      height() + '" loading="lazy" style="border:0"></iframe>';
    var src = preview.getAttribute("src").split("#")[0] + h;
    if (preview.getAttribute("src") !== src) { preview.setAttribute("src", src); }
    preview.setAttribute("height", String(height()));
  }
  form.hidden = false;
  preview.parentNode.hidden = false;
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  update();
})();
