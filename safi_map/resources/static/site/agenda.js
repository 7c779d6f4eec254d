/* Agenda page: past events move into the archive, by the visitor's own date.
   The page lists every event in date order; this only regroups them. */
(function () {
  "use strict";
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var now = new Date();
  var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  var archive = document.getElementById("agenda-archives");
  var upcoming = document.getElementById("agenda-a-venir");
  if (!archive || !upcoming) { return; }
  var past = 0;
  var months = upcoming.querySelectorAll(".agenda-month");
  for (var i = months.length - 1; i >= 0; i -= 1) {
    var month = months[i];
    var events = month.querySelectorAll(".agenda-event");
    var gone = 0;
    for (var j = 0; j < events.length; j += 1) {
      if (events[j].getAttribute("data-date") < today) { gone += 1; }
    }
    if (gone === 0) { continue; }
    past += gone;
    var copy = month.cloneNode(false);
    var title = month.querySelector("h2").cloneNode(true);
    title.id = title.id + "-passe";
    copy.setAttribute("aria-labelledby", title.id);
    copy.appendChild(title);
    var list = document.createElement("ul");
    list.className = "agenda-events";
    for (var k = 0; k < events.length; k += 1) {
      if (events[k].getAttribute("data-date") < today) { list.appendChild(events[k]); }
    }
    copy.appendChild(list);
    archive.insertBefore(copy, archive.children[1] || null);
    if (!month.querySelector(".agenda-event")) { month.parentNode.removeChild(month); }
  }
  if (past > 0) {
    archive.querySelector(".agenda-archives__count").textContent = String(past);
    archive.hidden = false;
  }
  if (!upcoming.querySelector(".agenda-event")) {
    var none = document.querySelector(".agenda-upcoming-none");
    if (none) { none.hidden = false; }
  }
}());
