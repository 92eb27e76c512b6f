"""Tensors: eager ``Tensor`` (NumPy-backed), ``SymbolicTensor`` (a graph node),
``KerasTensor`` (a symbolic tensor of a model definition) and ``Variable``
(a named, mutable array a layer owns).

They live with the ops that build them (``kgraph.ops.tensor``): their
Python operators call ``kgraph.ops``, so the two form one package and the
import flow stays one-way. This module is their public home.

Example:

>>> constant([[1, 2, 3], [4, 5, 6]]).shape
(2, 3)
"""

from kgraph.ops.tensor import KerasTensor
from kgraph.ops.tensor import SymbolicTensor
from kgraph.ops.tensor import Tensor
from kgraph.ops.tensor import Variable
from kgraph.ops.tensor import constant

__all__ = ["KerasTensor", "SymbolicTensor", "Tensor", "Variable", "constant"]
