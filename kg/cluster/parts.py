"""How a build's graph is cut into parts that can be made apart and written one after another.

The graph files list subjects in IRI order (then the topic scheme, then the source files by
name). Node IRIs are `{base}{kind}/{rest}`, so each kind's nodes are one run of that order, and
within the kinds whose IRIs end in a hash (articles, images) a range of the hash's first byte is
a run too, of about the same size. A part is such a run: the parts written in order are the file.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from dataclasses import dataclass

from ..graph import NodeKind

# Kinds whose IRIs end in a hex digest (IriMinter): cut into `hashed` parts each.
HASHED = frozenset({NodeKind.ARTICLE, NodeKind.IMAGE})


@dataclass(frozen=True, slots=True)
class NodeParts:
    """The parts of the nodes: each kind in IRI order, the hashed kinds in `hashed` parts."""

    base: str
    hashed: int

    @property
    def kinds(self) -> list[NodeKind]:
        return sorted(NodeKind, key=lambda kind: kind.value + "/")

    @property
    def count(self) -> int:
        return sum(self.hashed if kind in HASHED else 1 for kind in self.kinds)

    def of(self, iri: str) -> int:
        """The part that holds the node with this IRI."""
        kind, _, rest = iri[len(self.base):].partition("/")
        first = 0
        for each in self.kinds:
            if each.value == kind:
                if each in HASHED:
                    return first + int(rest[:2], 16) * self.hashed // 256
                return first
            first += self.hashed if each in HASHED else 1
        raise ValueError(f"{iri} is not a node IRI under {self.base}")


@dataclass(frozen=True, slots=True)
class SourceParts:
    """The source files' blocks in parts by name: part k holds the names from `starts[k]` up
    to the next start."""

    starts: tuple[str, ...]

    @classmethod
    def of_names(cls, names: list[str], parts: int) -> SourceParts:
        ordered = sorted(names)
        step = max(1, -(-len(ordered) // max(1, parts)))
        return cls(tuple(ordered[i] for i in range(step, len(ordered), step)))

    @property
    def count(self) -> int:
        return len(self.starts) + 1

    def of(self, name: str) -> int:
        return bisect_right(self.starts, name)


def bucket(key: str, buckets: int) -> int:
    """A bucket for a key, the same in every process (unlike `hash`, which is salted)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets
