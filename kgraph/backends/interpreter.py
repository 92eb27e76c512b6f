"""The reference backend: runs a graph by calling each op's NumPy reference
(``kgraph.ops.evaluate``), the oracle every other backend is compared with.
"""

from kgraph.ops.evaluate import run

__all__ = ["run"]
