// The page's behaviour: label culling, details panel, search, filters, date range, clusters.
// Every text from the data goes into the DOM with textContent, never as markup.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('kg-data').textContent);
  var cat = data.catalogue;
  var clusters = data.clusters;
  var stories = data.stories || [];
  var MIN_PX = data.drawThreshold;
  var MAX_PX = {topic: 16, other: 13};  // pixels no label grows past, however far one zooms
  var FOCUS_PX = 12;      // the clicked node and its neighbours are labelled at least this large
  var HIDE = 1e9;         // a drawThreshold no label reaches: vis-network leaves it undrawn
  var PAD = 3;            // pixels kept free around each label
  var container = document.getElementById('mynetwork');

  var indexOf = {};
  cat.forEach(function (e, i) { indexOf[e.id] = i; });
  var articlesOf = {};
  cat.forEach(function (e, i) {
    if (e.k !== 'article') return;
    e.p.concat(e.t).forEach(function (j) { (articlesOf[j] = articlesOf[j] || []).push(i); });
  });
  function newestFirst(a, b) {
    return (cat[b].d || '').localeCompare(cat[a].d || '') || cat[a].l.localeCompare(cat[b].l);
  }
  Object.keys(articlesOf).forEach(function (k) { articlesOf[k].sort(newestFirst); });
  var clusterOf = {};
  Object.keys(clusters).forEach(function (cid) {
    clusters[cid].m.forEach(function (i) { clusterOf[i] = cid; });
  });

  function names(list) { return list.map(function (j) { return cat[j].l; }).join(', '); }
  function info(id) {
    if (clusters[id]) {
      var c = clusters[id];
      return {kind: 'Aggregated articles', title: c.m.length + ' more articles' +
              (c.anchor >= 0 ? ' about ' + cat[c.anchor].l : ' without a topic')};
    }
    var e = cat[indexOf[id]];
    if (e.k === 'article') {
      return {kind: 'Article', title: e.l, date: e.d, provider: names(e.p), topics: names(e.t),
              url: e.u, image: e.i || ''};
    }
    if (e.k === 'provider') return {kind: 'Provider', title: e.l, domain: e.dom, also: e.a};
    return {kind: 'Topic', title: e.l, also: e.a};
  }

  var FIELDS = [['kind', 'Kind'], ['date', 'Date'], ['provider', 'Provider'],
                ['topics', 'Topics'], ['domain', 'Domain'], ['also', 'Also'], ['url', 'URL']];
  function tip(facts) {
    var box = document.createElement('div');
    box.className = 'kg-tip';
    var head = document.createElement('b');
    head.textContent = facts.title || '';
    box.appendChild(head);
    FIELDS.forEach(function (f) {
      if (!facts[f[0]]) return;
      var line = document.createElement('div');
      line.textContent = f[1] + ': ' + facts[f[0]];
      box.appendChild(line);
    });
    return box;
  }

  // What each drawn node looks like when nothing is dimmed, and its label's state.
  var base = {};
  function remember(n) {
    base[n.id] = {kind: n.kgKind, color: n.color, font: n.font.size, rank: n.kgRank, shown: null,
                 px: null};
  }
  nodes.get().forEach(remember);
  nodes.update(nodes.get().map(function (n) {
    var facts = info(n.id);
    return {id: n.id, title: tip(facts), kgInfo: facts,
            kgTopics: n.kgKind === 'article' ? cat[indexOf[n.id]].t.map(function (j) { return cat[j].l; }) : [],
            kgProviders: n.kgKind === 'article' ? cat[indexOf[n.id]].p.map(function (j) { return cat[j].l; }) : []};
  }));

  // ---- Labels: by rank, each drawn only where it covers no label drawn before it. ----
  var order = [];
  function reorder() {
    order = Object.keys(base).sort(function (a, b) {
      return (focusRank(a) - focusRank(b)) || (base[a].rank - base[b].rank);
    });
  }
  var focus = {};   // the clicked node and its neighbours: their labels come first
  function focusRank(id) { return focus[id] ? 0 : 1; }
  reorder();

  var measure = document.createElement('canvas').getContext('2d');
  var widths = {};
  function widthPerPx(id, text) {
    if (!(id in widths)) {
      measure.font = '100px arial';
      widths[id] = measure.measureText(text).width / 100;
    }
    return widths[id];
  }

  var lastView = '';
  function cull(force) {
    var scale = network.getScale();
    var at = network.getViewPosition();
    var key = scale.toFixed(5) + ',' + at.x.toFixed(1) + ',' + at.y.toFixed(1);
    if (!force && key === lastView) return;
    lastView = key;
    var halfW = container.clientWidth / 2 / scale, halfH = container.clientHeight / 2 / scale;
    var view = {l: at.x - halfW, r: at.x + halfW, t: at.y - halfH, b: at.y + halfH};
    var pad = PAD / scale, cell = 160 / scale, grid = {};
    var changes = [];
    order.forEach(function (id) {
      var node = network.body.nodes[id];
      var state = base[id];
      if (!node) return;
      var font = Math.min(state.font, (MAX_PX[state.kind] || MAX_PX.other) / scale);
      if (focus[id]) font = Math.max(font, FOCUS_PX / scale);
      var show = false;
      if (!node.options.hidden && font * scale >= MIN_PX) {
        var w = widthPerPx(id, node.options.label || '') * font;
        var top = node.y + node.options.size + 0.5 * font + 4;
        var box = {l: node.x - w / 2 - pad, r: node.x + w / 2 + pad,
                   t: top - 0.5 * font - pad, b: top + 0.5 * font + pad};
        // Only whole labels: one cut by the window's edge is not drawn.
        if (box.l >= view.l && box.r <= view.r && box.t >= view.t && box.b <= view.b &&
            !collides(grid, box, cell)) {
          place(grid, box, cell);
          show = true;
        }
      }
      var px = show ? font : state.px;
      if (show !== state.shown || px !== state.px) {
        var change = {id: id, scaling: {label: {drawThreshold: show ? MIN_PX : HIDE}}};
        if (show) change.font = {size: font};
        changes.push(change);
        state.shown = show;
        state.px = px;
      }
    });
    if (changes.length) nodes.update(changes);
  }
  function cells(box, cell, visit) {
    for (var x = Math.floor(box.l / cell); x <= Math.floor(box.r / cell); x++) {
      for (var y = Math.floor(box.t / cell); y <= Math.floor(box.b / cell); y++) {
        if (visit(x + ':' + y)) return true;
      }
    }
    return false;
  }
  function collides(grid, box, cell) {
    return cells(box, cell, function (k) {
      return (grid[k] || []).some(function (o) {
        return box.l < o.r && o.l < box.r && box.t < o.b && o.t < box.b;
      });
    });
  }
  function place(grid, box, cell) {
    cells(box, cell, function (k) { (grid[k] = grid[k] || []).push(box); return false; });
  }
  network.on('beforeDrawing', function () { cull(false); });

  // ---- Highlight: the clicked node and its neighbours; the rest dimmed. ----
  var DIM = {background: '#e8e8e8', border: '#dddddd'};
  var dimmed = false;
  function highlight(id) {
    var near = {};
    near[id] = true;
    network.getConnectedNodes(id).forEach(function (m) { near[m] = true; });
    focus = near;
    reorder();
    nodes.update(Object.keys(base).map(function (n) {
      return {id: n, color: near[n] ? base[n].color : DIM,
              font: {color: near[n] ? '#343434' : '#bbbbbb'}};
    }));
    edges.update(edges.get().map(function (e) {
      return {id: e.id, color: (e.from === id || e.to === id) ? {color: '#333333', opacity: 0.9}
                                                     : {color: '#dddddd', opacity: 0.35}};
    }));
    dimmed = true;
    cull(true);
  }
  function undim() {
    if (!dimmed) return;
    focus = {};
    reorder();
    nodes.update(Object.keys(base).map(function (n) {
      return {id: n, color: base[n].color, font: {color: '#343434'}};
    }));
    edges.update(edges.get().map(function (e) { return {id: e.id, color: e.kgColor}; }));
    dimmed = false;
    cull(true);
  }
  edges.update(edges.get().map(function (e) { return {id: e.id, kgColor: e.color}; }));

  // ---- Details panel ----
  var details = document.getElementById('kg-details');
  var body = document.getElementById('kg-details-body');
  function el(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined) x.textContent = text;
    if (cls) x.className = cls;
    return x;
  }
  function goButton(i) {
    var b = el('button', cat[i].l, 'kg-go');
    b.type = 'button';
    b.addEventListener('click', function () { go(i); });
    return b;
  }
  function articleList(title, list, limit) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el('h3', title));
    var ul = el('ul');
    list.slice(0, limit).forEach(function (i) {
      var li = el('li');
      if (cat[i].d) { li.appendChild(el('span', cat[i].d, 'kg-date')); li.appendChild(document.createTextNode(' ')); }
      li.appendChild(goButton(i));
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    if (list.length > limit) frag.appendChild(el('p', 'and ' + (list.length - limit) + ' more.'));
    return frag;
  }
  function safeUrl(u) {
    try {
      var parsed = new URL(u);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed.href : null;
    } catch (err) { return null; }
  }
  function open(id) {
    body.textContent = '';
    if (clusters[id]) {
      var c = clusters[id];
      body.appendChild(el('div', 'Aggregated articles', 'kg-kind'));
      body.appendChild(el('h2', info(id).title));
      body.appendChild(el('p', 'These articles are not drawn, to keep the view readable. ' +
                                'Expand them into the view, or pick one below.'));
      var expand = el('button', 'Expand ' + Math.min(c.m.length, EXPAND) + ' into the view', 'kg-expand');
      expand.type = 'button';
      expand.id = 'kg-expand';
      expand.addEventListener('click', function () { expandCluster(id); });
      body.appendChild(expand);
      body.appendChild(articleList(c.m.length + ' articles, newest first', c.m, 300));
    } else {
      var i = indexOf[id], e = cat[i];
      body.appendChild(el('div', e.k, 'kg-kind'));
      body.appendChild(el('h2', e.l));
      if (e.k === 'article') articlePanel(e);
      else {
        var list = articlesOf[i] || [];
        if (e.dom) body.appendChild(el('p', 'Domain: ' + e.dom));
        if (e.a) body.appendChild(el('p', 'Also: ' + e.a));
        body.appendChild(el('p', list.length + (list.length === 1 ? ' article' : ' articles'), 'kg-count'));
        body.appendChild(articleList('Articles, newest first', list, 300));
      }
    }
    details.hidden = false;
    details.dataset.node = id;
  }
  function articlePanel(e) {
    if (e.d) body.appendChild(el('p', e.d, 'kg-date'));
    var url = safeUrl(e.u);
    if (url) {
      var a = el('a', 'Read the article');
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.id = 'kg-link';
      body.appendChild(a);
      body.appendChild(el('div', e.u, 'kg-date'));
    } else if (e.u) body.appendChild(el('p', 'URL: ' + e.u));
    [['Provider', e.p], ['Topics', e.t], ['Related articles', e.r]].forEach(function (part) {
      if (!part[1].length) return;
      body.appendChild(el('h3', part[0]));
      var ul = el('ul');
      part[1].forEach(function (j) { var li = el('li'); li.appendChild(goButton(j)); ul.appendChild(li); });
      body.appendChild(ul);
    });
    if (e.s !== undefined) storyPart(e);
    var i = indexOf[e.id];
    if (clusterOf[i] && !nodes.get(e.id)) {
      body.appendChild(el('p', 'Not drawn: aggregated in "' + info(clusterOf[i]).title + '".', 'kg-note'));
    }
  }
  // The story an article belongs to: the other outlets' reports of it, each one click away.
  function storyPart(e) {
    var story = stories[e.s], self = indexOf[e.id];
    var own = e.p.length ? e.p[0] : -1;
    var others = story.m.filter(function (j) { return j !== self; });
    var outlets = {};
    others.forEach(function (j) { cat[j].p.forEach(function (p) { if (p !== own) outlets[p] = true; }); });
    var n = Object.keys(outlets).length;
    var box = el('section', undefined, 'kg-story');
    box.id = 'kg-story';
    box.appendChild(el('h3', n ? 'Also reported by ' + n + (n === 1 ? ' other outlet' : ' other outlets')
                              : 'Also published again by this outlet'));
    box.appendChild(el('p', 'Story: "' + story.l + '", ' + story.m.length + ' articles, ' +
                             story.f + (story.z !== story.f ? ' to ' + story.z : '') + '.', 'kg-date'));
    var ul = el('ul');
    others.forEach(function (j) {
      var li = el('li');
      li.appendChild(el('span', cat[j].d + ' ' + names(cat[j].p), 'kg-date'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(goButton(j));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    body.appendChild(box);
  }
  // The stories with the widest coverage, in the side panel: each opens its earliest article.
  (function storyList() {
    var holder = document.getElementById('kg-stories');
    if (!holder || !stories.length) return;
    holder.appendChild(el('h3', 'Stories by coverage'));
    var ol = el('ol');
    stories.slice(0, 5).forEach(function (s) {
      var li = el('li');
      var b = el('button', s.l, 'kg-go');
      b.type = 'button';
      b.title = s.n + ' outlets, ' + s.m.length + ' articles, ' + s.f;
      b.addEventListener('click', function () { go(s.m[0]); });
      li.appendChild(b);
      li.appendChild(el('span', ' ' + s.n + ' outlets', 'kg-date'));
      ol.appendChild(li);
    });
    holder.appendChild(ol);
  })();
  // The side panel folds to its title, to give a zoomed-in view the whole window.
  (function foldable() {
    var panel = document.getElementById('kg-panel'), fold = document.getElementById('kg-fold');
    fold.addEventListener('click', function () {
      var folded = panel.classList.toggle('kg-folded');
      fold.textContent = folded ? '+' : '\u2212';
      fold.title = folded ? 'Show the panel' : 'Hide the panel';
      fold.setAttribute('aria-expanded', String(!folded));
    });
  })();
  function close() {
    details.hidden = true;
    delete details.dataset.node;
    network.unselectAll();
    undim();
  }
  document.getElementById('kg-close').addEventListener('click', close);
  document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') close(); });

  function select(id) {
    network.selectNodes([id]);
    highlight(id);
    open(id);
  }
  // Move the view to a catalogue entry and open its panel; aggregated articles come into view.
  function go(i) {
    var id = cat[i].id;
    if (!nodes.get(id) && clusterOf[i]) expandCluster(clusterOf[i], i);
    var node = nodes.get(id);
    if (node && !node.hidden) {
      network.focus(id, {scale: Math.max(network.getScale(), 0.8), animation: false});
      select(id);
    } else {
      open(id);
    }
  }
  network.on('click', function (params) {
    if (params.nodes.length) select(params.nodes[0]);
    else if (!params.edges.length) close();
  });

  // ---- Clusters: expand into the view around the cluster node. ----
  var EXPAND = 200;
  function expandCluster(cid, wanted) {
    var c = clusters[cid];
    var at = network.getPositions([cid])[cid];
    if (!at) return;
    var take = c.m.slice(0, EXPAND);
    if (wanted !== undefined && take.indexOf(wanted) < 0) take.push(wanted);
    var golden = Math.PI * (3 - Math.sqrt(5));
    var added = take.map(function (i, k) {
      var e = cat[i], r = 40 * Math.sqrt(k + 1.5);
      var label = e.l.length <= data.labelChars ? e.l : e.l.slice(0, data.labelChars - 1).trim() + '…';
      var facts = info(e.id);
      return {id: e.id, label: label, shape: data.article.shape, color: data.article.color,
              size: 5, font: {size: 16}, x: at.x + r * Math.cos(k * golden),
              y: at.y + r * Math.sin(k * golden), kgKind: 'article', kgRank: 1e6 + k,
              title: tip(facts), kgInfo: facts, kgTopics: e.t.map(function (j) { return cat[j].l; }),
              kgProviders: e.p.map(function (j) { return cat[j].l; })};
    });
    nodes.add(added);
    added.forEach(remember);
    var links = [];
    take.forEach(function (i) {
      cat[i].p.concat(cat[i].t).forEach(function (j) {
        if (nodes.get(cat[j].id)) links.push({from: cat[i].id, to: cat[j].id, color: '#9D9D9D66', kgColor: '#9D9D9D66'});
      });
    });
    edges.add(links);
    c.m = c.m.filter(function (i) { return take.indexOf(i) < 0; });
    take.forEach(function (i) { delete clusterOf[i]; });
    if (c.m.length) nodes.update({id: cid, label: '+' + c.m.length + ' more', title: tip(info(cid))});
    else { nodes.remove(cid); delete base[cid]; delete clusters[cid]; }
    reorder();
    apply();
  }

  // ---- Filters: kind, topic, provider, date range. ----
  function fill(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) {
      var o = document.createElement('option'); o.value = v; o.textContent = v;
      select.appendChild(o);
    });
  }
  function labelsOf(kind) {
    var seen = {};
    nodes.get().forEach(function (n) { if (n.kgKind === kind) seen[n.label] = true; });
    cat.forEach(function (e) { if (e.k === kind && kind === 'topic') seen[e.l] = true; });
    return Object.keys(seen).sort();
  }
  fill('kg-topic', labelsOf('topic'));
  fill('kg-provider', labelsOf('provider'));
  var from = document.getElementById('kg-from'), to = document.getElementById('kg-to');
  [from, to].forEach(function (input) { input.min = data.dates[0]; input.max = data.dates[1]; });

  function apply() {
    var kinds = {};
    document.querySelectorAll('#kg-panel input[type=checkbox]').forEach(function (c) {
      kinds[c.dataset.kind] = c.checked;
    });
    var topic = document.getElementById('kg-topic').value;
    var provider = document.getElementById('kg-provider').value;
    var start = from.value, end = to.value;
    var all = nodes.get();
    function inRange(n) {
      if (n.kgKind !== 'article' || (!start && !end)) return true;
      var d = cat[indexOf[n.id]].d;
      return !!d && (!start || d >= start) && (!end || d <= end);
    }
    var keep = null;
    if (topic || provider) {
      keep = {};
      all.forEach(function (n) {
        var ok = (!topic || n.kgTopics.indexOf(topic) >= 0 ||
                  (n.kgKind === 'topic' && n.label === topic)) &&
                 (!provider || n.kgProviders.indexOf(provider) >= 0 ||
                  (n.kgKind === 'provider' && n.label === provider));
        if (ok && n.kgKind === 'article' && inRange(n)) {
          keep[n.id] = true;
          network.getConnectedNodes(n.id).forEach(function (m) { keep[m] = true; });
        } else if (ok && n.kgKind !== 'article') { keep[n.id] = true; }
      });
    }
    nodes.update(all.map(function (n) {
      var kind = kinds[n.kgKind] !== false;
      return {id: n.id, hidden: !kind || !inRange(n) || (keep !== null && !keep[n.id])};
    }));
    var shown = all.filter(function (n) { return n.kgKind === 'article'; }).length;
    var visible = nodes.get().filter(function (n) { return n.kgKind === 'article' && !n.hidden; }).length;
    document.getElementById('kg-status').textContent =
      (visible < shown) ? visible + ' of ' + shown + ' drawn articles shown' : '';
    cull(true);
  }
  document.querySelectorAll('#kg-panel input[type=checkbox]').forEach(function (c) {
    c.addEventListener('change', apply);
  });
  ['kg-topic', 'kg-provider', 'kg-from', 'kg-to'].forEach(function (id) {
    document.getElementById(id).addEventListener('change', apply);
  });

  // ---- Search: select every drawn match, focus the first and open its panel. ----
  var search = document.getElementById('kg-search');
  search.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    var q = search.value.trim().toLowerCase();
    if (!q) return;
    var hits = nodes.get().filter(function (n) {
      return !n.hidden && (n.kgInfo.title || '').toLowerCase().indexOf(q) >= 0;
    }).map(function (n) { return n.id; });
    var status = document.getElementById('kg-status');
    if (hits.length) {
      network.focus(hits[0], {scale: Math.max(network.getScale(), 0.8), animation: false});
      highlight(hits[0]);
      open(hits[0]);
      network.selectNodes(hits);
      status.textContent = hits.length + ' match(es)';
      return;
    }
    var found = cat.findIndex(function (e) { return e.l.toLowerCase().indexOf(q) >= 0; });
    if (found >= 0) { go(found); status.textContent = '1 match(es), not drawn before'; }
    else status.textContent = '0 match(es)';
  });

  // ---- Ready: the whole graph in view beside the panel, labels culled. ----
  function home() {
    var ids = nodes.getIds(), xs = [], ys = [];
    var at = network.getPositions(ids);
    ids.forEach(function (id) {
      var node = network.body.nodes[id], s = node.options.size;
      // A topic's label is always drawn: its whole width must be in the window too.
      var half = base[id].kind === 'topic'
        ? Math.max(s, widthPerPx(id, node.options.label || '') * base[id].font / 2) : s;
      xs.push(at[id].x - half, at[id].x + half);
      ys.push(at[id].y - s, at[id].y + s + (base[id].kind === 'topic' ? 1.5 * base[id].font : 0));
    });
    var panel = document.getElementById('kg-panel').getBoundingClientRect();
    var W = container.clientWidth, H = container.clientHeight;
    var left = W - panel.right > 2 * panel.width ? panel.right + 10 : 10;
    var width = W - left - 10, height = H - 20;
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var scale = Math.min(width / Math.max(1, maxX - minX), height / Math.max(1, maxY - minY), 1.5);
    var centre = {x: (minX + maxX) / 2, y: (minY + maxY) / 2};
    network.moveTo({scale: scale, animation: false, position: centre});
    // Then shift so the box's centre lands mid-way between the panel and the right edge.
    var landed = network.canvasToDOM(centre);
    network.moveTo({scale: scale, animation: false, position: {
      x: centre.x - (left + width / 2 - landed.x) / scale,
      y: centre.y - (10 + height / 2 - landed.y) / scale}});
  }
  window.kgReady = false;
  function ready() {
    if (window.kgReady) return;
    home();
    cull(true);
    window.kgView = {cull: cull, open: open, go: go, expand: expandCluster,
                   home: function () { home(); cull(true); }};
    // Ready once the culled labels have been drawn.
    network.once('afterDrawing', function () {
      window.kgReady = true;
      window.kgReadyMs = performance.now();
    });
    network.redraw();
  }
  network.once('afterDrawing', ready);
  setTimeout(ready, 8000);
})();
