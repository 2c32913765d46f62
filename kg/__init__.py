"""kg: build a knowledge graph of news articles, their providers, topics and related links.

>>> import kg
>>> b = kg.build(["examples/articles"])          # doctest: +SKIP
>>> b.summary()["articles"]                        # doctest: +SKIP
13
"""

__version__ = "0.1.0"

from .graph import Edge, EdgeKind, KnowledgeGraph, Node, NodeKind
from .model import ArticleRecord, Problem
from .pipeline import Build, BuildOptions, build, write_outputs

__all__ = [
    "ArticleRecord",
    "Build",
    "BuildOptions",
    "Edge",
    "EdgeKind",
    "KnowledgeGraph",
    "Node",
    "NodeKind",
    "Problem",
    "__version__",
    "build",
    "write_outputs",
]
