"""Readability of graph.html measured from vis-network's own state, not from the page's words."""

from __future__ import annotations

# Labels drawn: vis-network's Label.visible() (text measured, not under drawThreshold at this
# scale) for shown nodes whose label box meets the window; boxes from labelModule.size.
# Shapes: each shown node's square of half-side `size` around its position.
MEASURE = """() => {
  const net = window.network;
  const canvas = document.querySelector('#mynetwork canvas');
  const tl = net.DOMtoCanvas({x: 0, y: 0});
  const br = net.DOMtoCanvas({x: canvas.clientWidth, y: canvas.clientHeight});
  const meets = (b) => b.r > tl.x && b.l < br.x && b.b > tl.y && b.t < br.y;
  const labels = [], shapes = [];
  for (const n of net.body.data.nodes.get()) {
    const node = net.body.nodes[n.id];
    if (!node || node.options.hidden) continue;
    const s = node.options.size;
    const shape = {id: n.id, l: node.x - s, r: node.x + s, t: node.y - s, b: node.y + s};
    if (meets(shape)) shapes.push(shape);
    const m = node.labelModule;
    if (!m.visible()) continue;
    const box = {id: n.id, kind: n.kgKind, text: node.options.label, l: m.size.left, t: m.size.top,
                 r: m.size.left + m.size.width, b: m.size.top + m.size.height};
    if (meets(box)) labels.push(box);
  }
  const area = (b) => (b.r - b.l) * (b.b - b.t);
  const inter = (a, b) => Math.max(0, Math.min(a.r, b.r) - Math.max(a.l, b.l)) *
                          Math.max(0, Math.min(a.b, b.b) - Math.max(a.t, b.t));
  const overlapping = (boxes, share) => {
    const hit = new Set();
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const x = inter(boxes[i], boxes[j]);
      if (x > 0 && x > share * Math.min(area(boxes[i]), area(boxes[j]))) {
        hit.add(i); hit.add(j);
      }
    }
    return hit.size;
  };
  const px = labels.map((b) => (b.b - b.t) * net.getScale()).sort((a, b) => a - b);
  return {scale: net.getScale(), labels: labels.length,
          labels_overlapping: overlapping(labels, 0.25),
          shapes: shapes.length, shapes_overlapping: overlapping(shapes, 0),
          topics_labelled: labels.filter((b) => b.kind === 'topic').map((b) => b.text),
          label_px_median: px.length ? px[Math.floor(px.length / 2)] : 0};
}"""

# The canvas point at the centre of the window-sized square holding the most shown nodes.
DENSEST = """() => {
  const net = window.network;
  const scale = net.getScale();
  const size = 350 / scale;
  const counts = {};
  let best = null, most = -1;
  for (const n of net.body.data.nodes.get()) {
    const node = net.body.nodes[n.id];
    if (!node || node.options.hidden) continue;
    const key = Math.floor(node.x / size) + ':' + Math.floor(node.y / size);
    counts[key] = (counts[key] || 0) + 1;
    if (counts[key] > most) { most = counts[key]; best = key; }
  }
  const [x, y] = best.split(':').map(Number);
  return {x: (x + 0.5) * size, y: (y + 0.5) * size, nodes: most};
}"""


def measure(page) -> dict:
    # Two frames: what the page changed last is drawn, so label sizes are current.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    figures = page.evaluate(MEASURE)
    figures["label_overlap_share"] = figures["labels_overlapping"] / max(1, figures["labels"])
    figures["shape_overlap_share"] = figures["shapes_overlapping"] / max(1, figures["shapes"])
    return figures


def zoom_on_densest(page, factor: float = 4) -> dict:
    spot = page.evaluate(DENSEST)
    page.evaluate("""([x, y, f]) => window.network.moveTo(
        {position: {x: x, y: y}, scale: window.network.getScale() * f, animation: false})""",
                  [spot["x"], spot["y"], factor])
    return spot
