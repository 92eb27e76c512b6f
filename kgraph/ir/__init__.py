"""kgraph's IR: tensor types and the graph of single-output nodes."""

from kgraph.ir.graph import ROLES
from kgraph.ir.graph import Graph
from kgraph.ir.graph import Node
from kgraph.ir.types import TensorType
from kgraph.ir.types import broadcast_shapes

__all__ = ["ROLES", "Graph", "Node", "TensorType", "broadcast_shapes"]
