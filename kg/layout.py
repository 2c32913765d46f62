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

# Canvas units of width per square root of the node count: the page fits this to the window.
SPREAD = 60.0
GAP = 4.0
ROUNDS = 60


@dataclass(frozen=True, slots=True)
class Box:
    """What a node takes up: its shape's half-side, and a label that must never be hidden."""

    size: float
    label_width: float = 0.0
    label_height: float = 0.0


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
    core = [i for i in ids if len(neighbours[i]) != 1] or ids
    placed = dict(zip(core, _stretch(_force_directed(core, edges, seed),
                                     SPREAD * len(ids) ** 0.5), strict=True))
    _place_leaves(ids, neighbours, boxes, placed)
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
    return {i: (round(float(x), 1), round(float(y), 1)) for i, (x, y) in zip(ids, points, strict=True)}


def _place_leaves(ids: list[str], neighbours: dict[str, list[str]], boxes: dict[str, Box],
                  placed: dict[str, np.ndarray]) -> None:
    """Each node with one link on a spiral around that link's node, outward from the centre."""
    around: dict[str, list[str]] = {}
    for i in ids:
        if i not in placed:
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
    """Push apart every pair of boxes that overlap, along the axis where they overlap least."""
    points = points.copy()
    reach = 2 * float(np.hypot(half[:, 0], half[:, 1]).max()) + GAP
    for _ in range(ROUNDS):
        pairs = cKDTree(points).query_pairs(reach, output_type="ndarray")
        if not len(pairs):
            break
        a, b = pairs[:, 0], pairs[:, 1]
        delta = points[b] - points[a]
        need = half[a] + half[b] + GAP
        overlap = need - np.abs(delta)
        hit = (overlap > 0).all(axis=1)
        if not hit.any():
            break
        a, b, delta, overlap = a[hit], b[hit], delta[hit], overlap[hit]
        axis = np.argmin(overlap / need[hit], axis=1)
        rows = np.arange(len(a))
        sign = np.where(delta[rows, axis] >= 0, 1.0, -1.0)
        # Ties (same spot) split by index so identical points still part, deterministically.
        sign = np.where(delta[rows, axis] == 0, np.where(a < b, -1.0, 1.0), sign)
        push = np.zeros((len(a), 2))
        push[rows, axis] = sign * (overlap[rows, axis] / 2 + 0.5)
        moves = np.zeros_like(points)
        np.add.at(moves, b, push)
        np.add.at(moves, a, -push)
        points += moves
    return points
