"""kgraph: Keras-compatible neural networks, compiled to native CPU code.

Import it as you would Keras::

    import kgraph as kg
    t = kg.constant([[1, 2, 3], [4, 5, 6]])
    kg.reshape(t, [3, 2])
"""

from kgraph import ops
from kgraph.dump import dump
from kgraph.ir import Graph
from kgraph.ir import TensorType
from kgraph.ops import matmul
from kgraph.ops import reshape
from kgraph.ops import transpose
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable
from kgraph.tensor import constant

__version__ = "0.1.0"

__all__ = [
    "Graph",
    "SymbolicTensor",
    "Tensor",
    "TensorType",
    "Variable",
    "__version__",
    "constant",
    "dump",
    "matmul",
    "ops",
    "reshape",
    "transpose",
]
