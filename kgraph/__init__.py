"""kgraph: Keras-compatible neural networks, compiled to native CPU code.

Import it as you would Keras::

    import kgraph as kg
    model = kg.Sequential([kg.layers.Dense(10, activation="softmax")])
"""

from kgraph import activations
from kgraph import applications
from kgraph import backend
from kgraph import callbacks
from kgraph import config
from kgraph import constraints
from kgraph import initializers
from kgraph import layers
from kgraph import losses
from kgraph import metrics
from kgraph import models
from kgraph import ops
from kgraph import optimizers
from kgraph import random
from kgraph import regularizers
from kgraph import saving
from kgraph import utils
from kgraph.dump import dump
from kgraph.ir import Graph
from kgraph.ir import TensorType
from kgraph.layers import Input
from kgraph.layers import Layer
from kgraph.models import Model
from kgraph.models import Sequential
from kgraph.ops import matmul
from kgraph.ops import reshape
from kgraph.ops import transpose
from kgraph.tensor import SymbolicTensor
from kgraph.tensor import Tensor
from kgraph.tensor import Variable
from kgraph.tensor import constant

__version__ = config.VERSION

__all__ = [
    "Graph",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "SymbolicTensor",
    "Tensor",
    "TensorType",
    "Variable",
    "__version__",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "constant",
    "constraints",
    "dump",
    "initializers",
    "layers",
    "losses",
    "matmul",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "reshape",
    "saving",
    "transpose",
    "utils",
]
