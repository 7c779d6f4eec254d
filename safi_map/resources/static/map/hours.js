/* safi-hours.js — "Ouvert maintenant", decided in the visitor's browser.
 *
 * The site is static: Python ships, per actor, the open minutes of a week as a flat list
 * [start, end, start, end, ...] counted from Monday 00:00 (an end may pass the end of the week:
 * Sunday 22:00 to Monday 02:00). Here the current time of France (Europe/Paris, where the actors
 * are) becomes a minute of the week and is looked up in that list.
 *
 * API (window.SafiHours):
 *   minuteOfWeek(date)          minute of the week of `date` in France (local clock as fallback)
 *   isOpen(flat, minute)        whether a flat list holds that minute
 *   openIndexes(sparse, date)   indexes of the actors open at `date`, from the map payload's
 *                               `actors.hours` ([[index, flat], ...])
 *   applyBadges(root, date)     fills every [data-safi-hours] element of `root`
 */
(function (global) {
  "use strict";
  var WEEK = 7 * 24 * 60;
  var DAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
  var formatter = null;
  try {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Paris", weekday: "short", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23"
    });
  } catch (e) {
    formatter = null;
  }

  function minuteOfWeek(date) {
    if (formatter && formatter.formatToParts) {
      var parts = {};
      formatter.formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
      if (parts.weekday in DAYS) {
        return DAYS[parts.weekday] * 1440 + (parseInt(parts.hour, 10) % 24) * 60 +
          parseInt(parts.minute, 10);
      }
    }
    return ((date.getDay() + 6) % 7) * 1440 + date.getHours() * 60 + date.getMinutes();
  }

  function isOpen(flat, minute) {
    for (var i = 0; i + 1 < flat.length; i += 2) {
      var s = flat[i], e = flat[i + 1];
      if ((minute >= s && minute < e) || (minute + WEEK >= s && minute + WEEK < e)) {
        return true;
      }
    }
    return false;
  }

  function openIndexes(sparse, date) {
    var minute = minuteOfWeek(date || new Date());
    var out = [];
    (sparse || []).forEach(function (row) {
      if (isOpen(row[1], minute)) { out.push(row[0]); }
    });
    return out;
  }

  function parseFlat(text) {
    return String(text || "").split(",").map(function (x) { return parseInt(x, 10); })
      .filter(function (x) { return !isNaN(x); });
  }

  function applyBadges(root, date) {
    var minute = minuteOfWeek(date || new Date());
    var nodes = (root || document).querySelectorAll("[data-safi-hours]");
    Array.prototype.forEach.call(nodes, function (node) {
      var open = isOpen(parseFlat(node.getAttribute("data-safi-hours")), minute);
      node.textContent = open ? "Ouvert maintenant" : "Fermé actuellement";
      node.classList.toggle("hours-open", open);
      node.classList.toggle("hours-closed", !open);
      node.hidden = false;
    });
  }

  global.SafiHours = {
    minuteOfWeek: minuteOfWeek, isOpen: isOpen, openIndexes: openIndexes,
    applyBadges: applyBadges
  };

  if (global.document) {
    var run = function () {
      applyBadges(global.document, new Date());
      global.setInterval(function () { applyBadges(global.document, new Date()); }, 60000);
    };
    if (global.document.readyState === "loading") {
      global.document.addEventListener("DOMContentLoaded", run);
    } else {
      run();
    }
  }
})(window);
