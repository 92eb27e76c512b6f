"""``kgraph.ops``: the tensor functions, eager on arrays and symbolic on graph
tensors. Importing this package registers every primitive op."""

from kgraph.ops import registry
from kgraph.ops.builder import apply
from kgraph.ops.builder import layer_scope
from kgraph.ops.composite import all
from kgraph.ops.composite import any
from kgraph.ops.composite import argmin
from kgraph.ops.composite import clip
from kgraph.ops.composite import elu
from kgraph.ops.composite import leaky_relu
from kgraph.ops.composite import logsumexp
from kgraph.ops.composite import mean
from kgraph.ops.composite import min
from kgraph.ops.composite import one_hot
from kgraph.ops.composite import ones
from kgraph.ops.composite import ones_like
from kgraph.ops.composite import relu
from kgraph.ops.composite import sigmoid
from kgraph.ops.composite import softmax
from kgraph.ops.composite import softplus
from kgraph.ops.composite import std
from kgraph.ops.composite import var
from kgraph.ops.composite import zeros
from kgraph.ops.composite import zeros_like
from kgraph.ops.control import scan
from kgraph.ops.convolution import conv
from kgraph.ops.convolution import conv_kernel_grad
from kgraph.ops.elementwise import abs
from kgraph.ops.elementwise import add
from kgraph.ops.elementwise import cast
from kgraph.ops.elementwise import cos
from kgraph.ops.elementwise import divide
from kgraph.ops.elementwise import equal
from kgraph.ops.elementwise import exp
from kgraph.ops.elementwise import floor
from kgraph.ops.elementwise import greater
from kgraph.ops.elementwise import greater_equal
from kgraph.ops.elementwise import less
from kgraph.ops.elementwise import less_equal
from kgraph.ops.elementwise import log
from kgraph.ops.elementwise import log1p
from kgraph.ops.elementwise import logical_and
from kgraph.ops.elementwise import logical_not
from kgraph.ops.elementwise import logical_or
from kgraph.ops.elementwise import maximum
from kgraph.ops.elementwise import minimum
from kgraph.ops.elementwise import multiply
from kgraph.ops.elementwise import negative
from kgraph.ops.elementwise import not_equal
from kgraph.ops.elementwise import power
from kgraph.ops.elementwise import promote
from kgraph.ops.elementwise import sign
from kgraph.ops.elementwise import sin
from kgraph.ops.elementwise import sqrt
from kgraph.ops.elementwise import square
from kgraph.ops.elementwise import stop_gradient
from kgraph.ops.elementwise import subtract
from kgraph.ops.elementwise import tanh
from kgraph.ops.elementwise import true_divide
from kgraph.ops.elementwise import where
from kgraph.ops.fused import fused
from kgraph.ops.linalg import matmul
from kgraph.ops.linalg import transpose
from kgraph.ops.nn import log_softmax
from kgraph.ops.pooling import average_pool
from kgraph.ops.pooling import max_pool
from kgraph.ops.pooling import pool_argmax
from kgraph.ops.pooling import sum_pool
from kgraph.ops.random import random_bernoulli
from kgraph.ops.random import random_normal
from kgraph.ops.random import random_uniform
from kgraph.ops.reduce import argmax
from kgraph.ops.reduce import max
from kgraph.ops.reduce import sum
from kgraph.ops.reduce import sum_to_shape
from kgraph.ops.shape import as_tensor
from kgraph.ops.shape import broadcast_shapes_check
from kgraph.ops.shape import broadcast_to
from kgraph.ops.shape import concatenate
from kgraph.ops.shape import expand_dims
from kgraph.ops.shape import flip
from kgraph.ops.shape import get_item
from kgraph.ops.shape import pad
from kgraph.ops.shape import pad_general
from kgraph.ops.shape import reshape
from kgraph.ops.shape import scatter_add
from kgraph.ops.shape import slice
from kgraph.ops.shape import squeeze
from kgraph.ops.shape import stack
from kgraph.ops.shape import strided_slice
from kgraph.ops.shape import swapaxes
from kgraph.ops.shape import take
from kgraph.ops.sources import graph_constant
from kgraph.ops.sources import placeholder

__all__ = [
    "abs",
    "add",
    "all",
    "any",
    "apply",
    "argmax",
    "argmin",
    "as_tensor",
    "average_pool",
    "broadcast_shapes_check",
    "broadcast_to",
    "cast",
    "clip",
    "concatenate",
    "conv",
    "conv_kernel_grad",
    "cos",
    "divide",
    "elu",
    "equal",
    "exp",
    "expand_dims",
    "flip",
    "floor",
    "fused",
    "get_item",
    "graph_constant",
    "greater",
    "greater_equal",
    "layer_scope",
    "leaky_relu",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logsumexp",
    "matmul",
    "max",
    "max_pool",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pad_general",
    "placeholder",
    "pool_argmax",
    "power",
    "promote",
    "random_bernoulli",
    "random_normal",
    "random_uniform",
    "registry",
    "relu",
    "reshape",
    "scan",
    "scatter_add",
    "sigmoid",
    "sign",
    "sin",
    "slice",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "strided_slice",
    "subtract",
    "sum",
    "sum_pool",
    "sum_to_shape",
    "swapaxes",
    "take",
    "tanh",
    "transpose",
    "true_divide",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
