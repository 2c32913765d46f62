"""Positions for the HTML view: a force-directed layout computed ahead, with no overlaps.

igraph's Fruchterman-Reingold (C, grid-accelerated) places the shown graph so that topics and
the articles about them form regions and providers sit near what they publish. The result is
stretched to a size that grows with the node count, then boxes that still overlap are pushed
apart, so the browser draws at once with physics off and no shape covers another.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

# The layout's square spans this many times the area of all shapes together.
ROOM = 6.0
# A small graph is not spread thinner than this, so its shapes are not drawn huge.
MIN_WIDTH = 700.0
GAP = 4.0
ROUNDS = 120


@dataclass(frozen=True, slots=True)
class Box:
    """What a node takes up: its shape's half-side, and a label that must never be hidden."""

    size: float
    label_width: float = 0.0
    label_height: float = 0.0


def width(sizes: list[float]) -> float:
    """The layout's width for shapes of these sizes: room in proportion to what they cover,
    so that pushing overlaps apart converges."""
    return max(MIN_WIDTH, (ROOM * sum((2 * size + GAP) ** 2 for size in sizes)) ** 0.5)


def lay_out(ids: list[str], edges: list[tuple[str, str]], boxes: dict[str, Box],
            seed: int = 7) -> dict[str, tuple[float, float]]:
    """Deterministic positions for `ids`, given the edges between them and each node's box."""
    if not ids:
        return {}
    neighbours: dict[str, list[str]] = {i: [] for i in ids}
    for a, b in edges:
        if a in neighbours and b in neighbours and a != b:
            neighbours[a].append(b)
            neighbours[b].append(a)
    # A node with one link belongs next to it: laid out with the rest, the force layout would
    # push every such node (most providers, every cluster) out to a ring around the graph.
    core = [i for i in ids if len(neighbours[i]) > 1] or ids
    placed = dict(zip(core, _stretch(_force_directed(core, edges, seed),
                                     width([boxes[i].size for i in ids])), strict=True))
    _place_leaves(ids, neighbours, boxes, placed)
    _place_alone([i for i in ids if i not in placed], boxes, placed)
    shapes = np.array([[boxes[i].size, boxes[i].size] for i in ids])
    points = _separate(np.array([placed[i] for i in ids]), shapes)
    # Labels that must all be readable (topics) are kept apart from one another too.
    tagged = [n for n, i in enumerate(ids) if boxes[i].label_width]
    if tagged:
        labelled = np.array([[max(boxes[ids[n]].size, boxes[ids[n]].label_width / 2),
                              boxes[ids[n]].size + boxes[ids[n]].label_height]
                             for n in tagged])
        points[tagged] = _separate(points[tagged], labelled)
        points = _separate(points, shapes)
    return {i: (round(float(p[0]), 1), round(float(p[1]), 1))
            for i, p in zip(ids, points, strict=True)}


def _place_alone(ids: list[str], boxes: dict[str, Box], placed: dict[str, np.ndarray]) -> None:
    """Nodes with no link in a row under the rest, where the force layout would scatter them."""
    if not ids:
        return
    points = np.array(list(placed.values())) if placed else np.zeros((1, 2))
    x, y = points[:, 0].min(), points[:, 1].max()
    for i in ids:
        x += boxes[i].size + GAP
        y_here = y + 2 * boxes[i].size + GAP
        placed[i] = np.array([x, y_here])
        x += boxes[i].size + GAP


def _place_leaves(ids: list[str], neighbours: dict[str, list[str]], boxes: dict[str, Box],
                  placed: dict[str, np.ndarray]) -> None:
    """Each node with one link on a spiral around that link's node, outward from the centre."""
    around: dict[str, list[str]] = {}
    for i in ids:
        if i not in placed and neighbours[i]:
            around.setdefault(neighbours[i][0], []).append(i)
    golden = math.pi * (3 - math.sqrt(5))
    for hub, leaves in around.items():
        if hub not in placed:  # two nodes linked only to each other
            placed[hub] = np.zeros(2)
        centre = placed[hub]
        start = math.atan2(centre[1], centre[0])
        step = 2.5 * max(boxes[leaf].size for leaf in leaves) + GAP
        first = boxes[hub].size + step
        for k, leaf in enumerate(leaves):
            r = first + step * math.sqrt(k)
            angle = start + k * golden
            placed[leaf] = centre + r * np.array([math.cos(angle), math.sin(angle)])


def _force_directed(ids: list[str], edges: list[tuple[str, str]], seed: int) -> np.ndarray:
    import igraph  # only the view needs it

    index = {node: n for n, node in enumerate(ids)}
    graph = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b in edges
                                            if a in index and b in index and a != b])
    # igraph draws its random numbers from Python's `random`: seed it for the same bytes each run.
    rng = random.Random(seed)
    start = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in ids]
    state = random.getstate()
    random.seed(seed)
    try:
        layout = graph.layout_fruchterman_reingold(seed=start, niter=500,
                                                   grid="auto" if len(ids) > 1000 else "nogrid")
    finally:
        random.setstate(state)
    return np.array(layout.coords, dtype=float).reshape(len(ids), 2)


def _stretch(points: np.ndarray, width: float) -> np.ndarray:
    """Centre the points and scale them so the wider side spans `width` canvas units."""
    points = points - points.mean(axis=0)
    extent = float(np.ptp(points, axis=0).max()) or 1.0
    return points * (width / extent)


def _separate(points: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Push apart every pair of boxes that overlap, each half the way, along the line between
    their centres: pushes along one axis only make dense regions slide and converge slowly."""
    points = points.copy()
    reach = 2 * float(np.hypot(half[:, 0], half[:, 1]).max()) + GAP
    for _ in range(ROUNDS):
        pairs = cKDTree(points).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        a, b = pairs[:, 0], pairs[:, 1]
        delta = points[b] - points[a]
        need = half[a] + half[b] + GAP
        hit = (np.abs(delta) < need).all(axis=1)
        if not hit.any():
            break
        a, b, delta, need = a[hit], b[hit], delta[hit], need[hit]
        distance = np.hypot(delta[:, 0], delta[:, 1])
        # Same spot: part them along a direction fixed by their indices, for the same bytes.
        same = distance == 0
        angle = (a[same] * 7919 + b[same]) % 360 * (np.pi / 180)
        delta[same] = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        distance[same] = 1.0
        unit = delta / distance[:, None]
        with np.errstate(divide="ignore"):
            wanted = np.min(need / np.abs(unit), axis=1)
        push = unit * ((wanted - distance) / 2 + 0.25)[:, None]
        moves = np.zeros_like(points)
        np.add.at(moves, b, push)
        np.add.at(moves, a, -push)
        points += moves
    return points
