(function () {
  var data = JSON.parse(document.getElementById('kg-data').textContent);
  var FIELDS = [['kind', 'Kind'], ['date', 'Date'], ['provider', 'Provider'],
                ['topics', 'Topics'], ['domain', 'Domain'], ['also', 'Also'], ['url', 'URL']];
  function tip(info) {
    // Text nodes only: titles from the data never become markup.
    var box = document.createElement('div');
    box.className = 'kg-tip';
    var head = document.createElement('b');
    head.textContent = info.title || '';
    box.appendChild(head);
    FIELDS.forEach(function (f) {
      if (!info[f[0]]) return;
      var line = document.createElement('div');
      line.textContent = f[1] + ': ' + info[f[0]];
      box.appendChild(line);
    });
    return box;
  }
  function fill(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) {
      var o = document.createElement('option'); o.value = v; o.textContent = v;
      select.appendChild(o);
    });
  }
  fill('kg-topic', data.topics);
  fill('kg-provider', data.providers);
  var all = nodes.get();
  nodes.update(all.map(function (n) { return {id: n.id, title: tip(n.kgInfo)}; }));
  window.kgReady = false;
  function ready() {
    if (window.kgReady) return;
    window.kgReady = true;
    network.setOptions({physics: {enabled: false}});
    document.getElementById('kg-status').textContent = 'Ready.';
  }
  if (data.laidOut) { network.once('afterDrawing', ready); }
  else { network.once('stabilizationIterationsDone', ready); network.once('stabilized', ready); }
  setTimeout(ready, 8000);

  function apply() {
    var kinds = {};
    document.querySelectorAll('#kg-panel input[type=checkbox]').forEach(function (c) {
      kinds[c.dataset.kind] = c.checked;
    });
    var topic = document.getElementById('kg-topic').value;
    var provider = document.getElementById('kg-provider').value;
    var keep = null;
    if (topic || provider) {
      keep = {};
      all.forEach(function (n) {
        var ok = (!topic || n.kgTopics.indexOf(topic) >= 0 ||
                  (n.kgKind === 'topic' && n.label === topic)) &&
                 (!provider || n.kgProviders.indexOf(provider) >= 0 ||
                  (n.kgKind === 'provider' && n.label === provider));
        if (ok && n.kgKind === 'article') {
          keep[n.id] = true;
          network.getConnectedNodes(n.id).forEach(function (m) { keep[m] = true; });
        } else if (ok) { keep[n.id] = true; }
      });
    }
    nodes.update(all.map(function (n) {
      return {id: n.id, hidden: !kinds[n.kgKind] || (keep !== null && !keep[n.id])};
    }));
  }
  document.querySelectorAll('#kg-panel input[type=checkbox]').forEach(function (c) {
    c.addEventListener('change', apply);
  });
  document.getElementById('kg-topic').addEventListener('change', apply);
  document.getElementById('kg-provider').addEventListener('change', apply);
  var search = document.getElementById('kg-search');
  search.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    var q = search.value.trim().toLowerCase();
    var hits = all.filter(function (n) {
      return q && (n.kgInfo.title || '').toLowerCase().indexOf(q) >= 0;
    }).map(function (n) { return n.id; });
    network.selectNodes(hits);
    document.getElementById('kg-status').textContent = hits.length + ' match(es)';
    if (hits.length) network.focus(hits[0], {scale: 1.2, animation: false});
  });
})();
