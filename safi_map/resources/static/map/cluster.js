/* safi-cluster.js: the point clustering of the actor map (our own code, no plugin).

   Why not Leaflet.markercluster: it builds a hierarchy of marker objects for every zoom level
   when points are added (0.9 s for 50,000 actors on a small machine) and again for every
   filter. Here the points are projected once to Web-Mercator world coordinates (0..1) in typed
   arrays; a redraw groups the *currently filtered* points that fall in the viewport (plus one
   cell of margin) on a grid whose cells are `cell` screen pixels at the current zoom: the
   cluster of a point is the integer division of its scaled coordinates by the cell size, found
   with one Map lookup per point (O(n), a few milliseconds for 50,000 points). The grid is
   anchored on the world, so panning never reshuffles the clusters that stay in view. Only the
   clusters and points in the viewport become Leaflet markers, and markers that are still
   wanted after a redraw are kept (a small pool, not one marker per actor).

   SafiCluster.grid() is pure (typed arrays in, typed arrays out) so it can be tested alone. */
(function (window) {
  'use strict';
  var L = window.L;
  var MAX_LAT = 85.0511287798;

  /* World coordinates in 0..1 (x east, y south) of Web-Mercator, as Leaflet's EPSG:3857. */
  function projectX(lon) { return lon / 360 + 0.5; }
  function projectY(lat) {
    var la = Math.max(Math.min(lat, MAX_LAT), -MAX_LAT);
    var s = Math.sin(la * Math.PI / 180);
    return 0.5 - 0.25 * Math.log((1 + s) / (1 - s)) / Math.PI;
  }
  function unprojectLat(y) {
    return 360 * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) / Math.PI - 90;
  }
  function unprojectLon(x) { return (x - 0.5) * 360; }

  /* Group points[0..m) (indices into x/y) on a grid of `cell` world units, keeping only the
     points inside box = [minX, minY, maxX, maxY] (null: all). Returns parallel typed arrays:
     size, centroid (cx, cy), extent (x0, y0, x1, y1), `head` (first member) and `next`
     (linked list of members, indexed by point index; -1 ends it). With `merge` > 0, a second
     pass joins the clusters of neighbouring cells whose centroids are closer than `merge`
     (world units): a plain grid would draw two overlapping clusters either side of a cell
     border. Merged-away clusters have size 0. */
  function grid(x, y, points, m, cell, box, next, merge) {
    var keyOf = new Map(), i, k, p, gx, gy, key, c = 0;
    var cap = 64;
    var size = new Int32Array(cap), head = new Int32Array(cap);
    var sx = new Float64Array(cap), sy = new Float64Array(cap);
    var x0 = new Float64Array(cap), y0 = new Float64Array(cap), x1 = new Float64Array(cap), y1 = new Float64Array(cap);
    var cellKey = new Float64Array(cap);
    var bx0 = box ? box[0] : -Infinity, by0 = box ? box[1] : -Infinity;
    var bx1 = box ? box[2] : Infinity, by1 = box ? box[3] : Infinity;
    var inv = 1 / cell, stride = Math.ceil(inv) + 2;
    function grow() {
      cap *= 2;
      var a;
      a = new Int32Array(cap); a.set(size); size = a;
      a = new Int32Array(cap); a.set(head); head = a;
      a = new Float64Array(cap); a.set(sx); sx = a;
      a = new Float64Array(cap); a.set(sy); sy = a;
      a = new Float64Array(cap); a.set(x0); x0 = a;
      a = new Float64Array(cap); a.set(y0); y0 = a;
      a = new Float64Array(cap); a.set(x1); x1 = a;
      a = new Float64Array(cap); a.set(y1); y1 = a;
      a = new Float64Array(cap); a.set(cellKey); cellKey = a;
    }
    for (k = 0; k < m; k++) {
      p = points[k];
      var px = x[p], py = y[p];
      if (px < bx0 || px > bx1 || py < by0 || py > by1) { continue; }
      gx = Math.floor(px * inv); gy = Math.floor(py * inv);
      key = gx * stride + gy;
      i = keyOf.get(key);
      if (i === undefined) {
        if (c === cap) { grow(); }
        i = c++;
        keyOf.set(key, i);
        cellKey[i] = key;
        size[i] = 0; head[i] = -1; sx[i] = 0; sy[i] = 0;
        x0[i] = px; y0[i] = py; x1[i] = px; y1[i] = py;
      }
      size[i]++; sx[i] += px; sy[i] += py;
      if (px < x0[i]) { x0[i] = px; } else if (px > x1[i]) { x1[i] = px; }
      if (py < y0[i]) { y0[i] = py; } else if (py > y1[i]) { y1[i] = py; }
      next[p] = head[i]; head[i] = p;
    }
    for (i = 0; i < c; i++) { sx[i] /= size[i]; sy[i] /= size[i]; }
    if (merge > 0) {
      /* Largest first: small clusters join the big ones next to them. */
      var order = Array.from({ length: c }, function (_, j) { return j; });
      order.sort(function (a, b) { return size[b] - size[a] || a - b; });
      var r2 = merge * merge;
      for (var o = 0; o < c; o++) {
        i = order[o];
        if (size[i] === 0) { continue; }
        gx = Math.floor(sx[i] * inv); gy = Math.floor(sy[i] * inv);
        for (var dx = -1; dx <= 1; dx++) {
          for (var dy = -1; dy <= 1; dy++) {
            var j = keyOf.get((gx + dx) * stride + gy + dy);
            if (j === undefined || j === i || size[j] === 0) { continue; }
            var ddx = sx[j] - sx[i], ddy = sy[j] - sy[i];
            if (ddx * ddx + ddy * ddy >= r2) { continue; }
            var tot = size[i] + size[j];
            sx[i] = (sx[i] * size[i] + sx[j] * size[j]) / tot;
            sy[i] = (sy[i] * size[i] + sy[j] * size[j]) / tot;
            size[i] = tot; size[j] = 0;
            if (x0[j] < x0[i]) { x0[i] = x0[j]; }
            if (y0[j] < y0[i]) { y0[i] = y0[j]; }
            if (x1[j] > x1[i]) { x1[i] = x1[j]; }
            if (y1[j] > y1[i]) { y1[i] = y1[j]; }
            var t = head[j];
            while (next[t] >= 0) { t = next[t]; }
            next[t] = head[i]; head[i] = head[j]; head[j] = -1;
          }
        }
      }
    }
    return { count: c, size: size, cellKey: cellKey, cx: sx, cy: sy, x0: x0, y0: y0, x1: x1, y1: y1, head: head, next: next };
  }

  /* Members of cluster i of a grid() result, in data order (the directory's order). */
  function members(res, i) {
    var out = [];
    for (var p = res.head[i]; p >= 0; p = res.next[p]) { out.push(p); }
    return out.sort(function (a, b) { return a - b; });
  }

  /* The Leaflet layer. `opts.pointMarker(i)` and `opts.clusterMarker(info)` make markers;
     `info` = {size, latlng, bounds, key}. */
  var ClusterLayer = L.Layer.extend({
    initialize: function (x, y, opts) {
      this._x = x; this._y = y;
      this._next = new Int32Array(x.length);
      this._points = new Int32Array(0);
      this._m = 0;
      this._o = opts;
      this._shown = new Map();
      this._group = L.layerGroup();
      this.result = null;
      this.drawn = { clusters: 0, points: 0, total: 0 };
    },
    onAdd: function (map) {
      this._group.addTo(map);
      map.on('moveend', this.redraw, this);
      this.redraw();
    },
    onRemove: function (map) {
      map.off('moveend', this.redraw, this);
      map.removeLayer(this._group);
      this._group.clearLayers();
      this._shown.clear();
    },
    /* The points to show (indices into x/y), e.g. the located actors matching the filters. */
    setPoints: function (points, m) {
      this._points = points; this._m = m;
      this._generation = (this._generation || 0) + 1;
      if (this._map) { this.redraw(); }
    },
    cellPx: function (z) { return z >= this._o.overlapZoom ? this._o.overlapCell : this._o.cell; },
    redraw: function () {
      var map = this._map;
      if (!map) { return; }
      var z = Math.floor(map.getZoom() + 1e-9), scale = 256 * Math.pow(2, z);
      var cell = this.cellPx(z) / scale;
      var b = map.getBounds();
      var box = [projectX(b.getWest()) - cell, projectY(b.getNorth()) - cell,
        projectX(b.getEast()) + cell, projectY(b.getSouth()) + cell];
      var res = grid(this._x, this._y, this._points, this._m, cell, box, this._next, cell * (this._o.merge || 0));
      res.zoom = z; res.cell = cell;
      this.result = res;
      var want = new Map(), shown = this._shown, group = this._group, i, key, mk, total = 0, nc = 0, np = 0;
      var vx0 = box[0] + cell, vy0 = box[1] + cell, vx1 = box[2] - cell, vy1 = box[3] - cell;
      for (i = 0; i < res.count; i++) {
        var cx = res.cx[i], cy = res.cy[i];
        if (res.size[i] === 0) { continue; }  /* merged into a neighbour */
        if (cx < vx0 || cx > vx1 || cy < vy0 || cy > vy1) { continue; }
        total += res.size[i];
        if (res.size[i] === 1) {
          key = 'p' + res.head[i];
          np++;
        } else {
          key = 'c' + this._generation + ':' + z + ':' + res.cellKey[i] + ':' + res.size[i];
          nc++;
        }
        mk = shown.get(key);
        if (mk) {
          shown.delete(key);
        } else if (res.size[i] === 1) {
          mk = this._o.pointMarker(res.head[i]);
        } else {
          mk = this._o.clusterMarker({ size: res.size[i], latlng: L.latLng(unprojectLat(cy), unprojectLon(cx)) });
        }
        if (res.size[i] > 1) { mk._safiCluster = i; }
        want.set(key, mk);
      }
      shown.forEach(function (old) { group.removeLayer(old); });
      want.forEach(function (mk2) { if (!group.hasLayer(mk2)) { group.addLayer(mk2); } });
      this._shown = want;
      this.drawn = { clusters: nc, points: np, total: total };
      if (this._o.onDraw) { this._o.onDraw(this.drawn); }
    },
    /* Members and bounds of the cluster drawn by marker mk (indices in data order). */
    clusterOf: function (mk) {
      var res = this.result;
      if (!res || mk._safiCluster === undefined || mk._safiCluster >= res.count) { return null; }
      var i = mk._safiCluster;
      return {
        members: members(res, i),
        bounds: L.latLngBounds([unprojectLat(res.y1[i]), unprojectLon(res.x0[i])], [unprojectLat(res.y0[i]), unprojectLon(res.x1[i])]),
        /* width and height of the cluster in pixels at zoom z */
        extentAt: function (z) {
          var s = 256 * Math.pow(2, z);
          return Math.max(res.x1[i] - res.x0[i], res.y1[i] - res.y0[i]) * s;
        }
      };
    },
    markers: function () { return Array.from(this._shown.values()); }
  });

  window.SafiCluster = {
    projectX: projectX, projectY: projectY, unprojectLat: unprojectLat, unprojectLon: unprojectLon,
    grid: grid, members: members, ClusterLayer: ClusterLayer
  };
})(window);
