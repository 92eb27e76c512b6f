"""``kgraph.ops.numpy``: Keras's ``keras.ops.numpy`` namespace, NumPy's
functions on tensors.

Each name is the function ``kgraph.ops`` offers under the same name,
re-exported from the module that defines it.
"""

from kgraph.ops.composite import all
from kgraph.ops.composite import any
from kgraph.ops.composite import argmin
from kgraph.ops.composite import clip
from kgraph.ops.composite import mean
from kgraph.ops.composite import min
from kgraph.ops.composite import ones
from kgraph.ops.composite import ones_like
from kgraph.ops.composite import std
from kgraph.ops.composite import var
from kgraph.ops.composite import zeros
from kgraph.ops.composite import zeros_like
from kgraph.ops.contraction import cross
from kgraph.ops.contraction import dot
from kgraph.ops.contraction import inner
from kgraph.ops.contraction import kron
from kgraph.ops.contraction import outer
from kgraph.ops.contraction import tensordot
from kgraph.ops.contraction import vdot
from kgraph.ops.core_functions import array
from kgraph.ops.core_functions import copy
from kgraph.ops.core_functions import ndim
from kgraph.ops.core_functions import size
from kgraph.ops.core_functions import vectorize
from kgraph.ops.core_functions import view
from kgraph.ops.creation import arange
from kgraph.ops.creation import bartlett
from kgraph.ops.creation import blackman
from kgraph.ops.creation import empty
from kgraph.ops.creation import empty_like
from kgraph.ops.creation import eye
from kgraph.ops.creation import full
from kgraph.ops.creation import full_like
from kgraph.ops.creation import geomspace
from kgraph.ops.creation import hamming
from kgraph.ops.creation import hanning
from kgraph.ops.creation import identity
from kgraph.ops.creation import kaiser
from kgraph.ops.creation import linspace
from kgraph.ops.creation import logspace
from kgraph.ops.creation import tri
from kgraph.ops.cumulative import cumprod
from kgraph.ops.cumulative import cumsum
from kgraph.ops.cumulative import prod
from kgraph.ops.einsum import einsum
from kgraph.ops.elementwise import abs
from kgraph.ops.elementwise import add
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
from kgraph.ops.elementwise import sign
from kgraph.ops.elementwise import sin
from kgraph.ops.elementwise import sqrt
from kgraph.ops.elementwise import square
from kgraph.ops.elementwise import subtract
from kgraph.ops.elementwise import tanh
from kgraph.ops.elementwise import true_divide
from kgraph.ops.elementwise import where
from kgraph.ops.elementwise_math import arccos
from kgraph.ops.elementwise_math import arccosh
from kgraph.ops.elementwise_math import arcsin
from kgraph.ops.elementwise_math import arcsinh
from kgraph.ops.elementwise_math import arctan
from kgraph.ops.elementwise_math import arctan2
from kgraph.ops.elementwise_math import arctanh
from kgraph.ops.elementwise_math import bitwise_and
from kgraph.ops.elementwise_math import bitwise_invert
from kgraph.ops.elementwise_math import bitwise_left_shift
from kgraph.ops.elementwise_math import bitwise_not
from kgraph.ops.elementwise_math import bitwise_or
from kgraph.ops.elementwise_math import bitwise_right_shift
from kgraph.ops.elementwise_math import bitwise_xor
from kgraph.ops.elementwise_math import cbrt
from kgraph.ops.elementwise_math import ceil
from kgraph.ops.elementwise_math import cosh
from kgraph.ops.elementwise_math import exp2
from kgraph.ops.elementwise_math import expm1
from kgraph.ops.elementwise_math import floor_divide
from kgraph.ops.elementwise_math import fmod
from kgraph.ops.elementwise_math import hypot
from kgraph.ops.elementwise_math import left_shift
from kgraph.ops.elementwise_math import log2
from kgraph.ops.elementwise_math import log10
from kgraph.ops.elementwise_math import mod
from kgraph.ops.elementwise_math import nextafter
from kgraph.ops.elementwise_math import right_shift
from kgraph.ops.elementwise_math import round
from kgraph.ops.elementwise_math import signbit
from kgraph.ops.elementwise_math import sinh
from kgraph.ops.elementwise_math import tan
from kgraph.ops.elementwise_math import trunc
from kgraph.ops.linalg_functions import slogdet
from kgraph.ops.linalg_primitives import matmul
from kgraph.ops.linalg_primitives import transpose
from kgraph.ops.manipulation import append
from kgraph.ops.manipulation import array_split
from kgraph.ops.manipulation import diag
from kgraph.ops.manipulation import diagflat
from kgraph.ops.manipulation import diagonal
from kgraph.ops.manipulation import dsplit
from kgraph.ops.manipulation import dstack
from kgraph.ops.manipulation import fliplr
from kgraph.ops.manipulation import flipud
from kgraph.ops.manipulation import hsplit
from kgraph.ops.manipulation import hstack
from kgraph.ops.manipulation import meshgrid
from kgraph.ops.manipulation import moveaxis
from kgraph.ops.manipulation import ravel
from kgraph.ops.manipulation import repeat
from kgraph.ops.manipulation import roll
from kgraph.ops.manipulation import rot90
from kgraph.ops.manipulation import select
from kgraph.ops.manipulation import split
from kgraph.ops.manipulation import tile
from kgraph.ops.manipulation import trace
from kgraph.ops.manipulation import tril
from kgraph.ops.manipulation import triu
from kgraph.ops.manipulation import vsplit
from kgraph.ops.manipulation import vstack
from kgraph.ops.numpy_math import absolute
from kgraph.ops.numpy_math import allclose
from kgraph.ops.numpy_math import angle
from kgraph.ops.numpy_math import conj
from kgraph.ops.numpy_math import conjugate
from kgraph.ops.numpy_math import deg2rad
from kgraph.ops.numpy_math import divide_no_nan
from kgraph.ops.numpy_math import fabs
from kgraph.ops.numpy_math import fmax
from kgraph.ops.numpy_math import fmin
from kgraph.ops.numpy_math import gcd
from kgraph.ops.numpy_math import heaviside
from kgraph.ops.numpy_math import i0
from kgraph.ops.numpy_math import imag
from kgraph.ops.numpy_math import isclose
from kgraph.ops.numpy_math import isfinite
from kgraph.ops.numpy_math import isinf
from kgraph.ops.numpy_math import isnan
from kgraph.ops.numpy_math import isneginf
from kgraph.ops.numpy_math import isposinf
from kgraph.ops.numpy_math import isreal
from kgraph.ops.numpy_math import lcm
from kgraph.ops.numpy_math import ldexp
from kgraph.ops.numpy_math import logaddexp
from kgraph.ops.numpy_math import logaddexp2
from kgraph.ops.numpy_math import logical_xor
from kgraph.ops.numpy_math import nan_to_num
from kgraph.ops.numpy_math import rad2deg
from kgraph.ops.numpy_math import real
from kgraph.ops.numpy_math import reciprocal
from kgraph.ops.numpy_math import sinc
from kgraph.ops.reduce import argmax
from kgraph.ops.reduce import max
from kgraph.ops.reduce import sum
from kgraph.ops.shaping import broadcast_to
from kgraph.ops.shaping import concatenate
from kgraph.ops.shaping import expand_dims
from kgraph.ops.shaping import flip
from kgraph.ops.shaping import get_item
from kgraph.ops.shaping import pad
from kgraph.ops.shaping import reshape
from kgraph.ops.shaping import squeeze
from kgraph.ops.shaping import stack
from kgraph.ops.shaping import swapaxes
from kgraph.ops.shaping import take
from kgraph.ops.sorting import argpartition
from kgraph.ops.sorting import argsort
from kgraph.ops.sorting import sort
from kgraph.ops.sorting import take_along_axis
from kgraph.ops.statistics import amax
from kgraph.ops.statistics import amin
from kgraph.ops.statistics import average
from kgraph.ops.statistics import bincount
from kgraph.ops.statistics import corrcoef
from kgraph.ops.statistics import correlate
from kgraph.ops.statistics import count_nonzero
from kgraph.ops.statistics import diff
from kgraph.ops.statistics import digitize
from kgraph.ops.statistics import histogram
from kgraph.ops.statistics import isin
from kgraph.ops.statistics import median
from kgraph.ops.statistics import nanargmax
from kgraph.ops.statistics import nanargmin
from kgraph.ops.statistics import nancumprod
from kgraph.ops.statistics import nancumsum
from kgraph.ops.statistics import nanmax
from kgraph.ops.statistics import nanmean
from kgraph.ops.statistics import nanmedian
from kgraph.ops.statistics import nanmin
from kgraph.ops.statistics import nanpercentile
from kgraph.ops.statistics import nanprod
from kgraph.ops.statistics import nanquantile
from kgraph.ops.statistics import nanstd
from kgraph.ops.statistics import nansum
from kgraph.ops.statistics import nanvar
from kgraph.ops.statistics import nonzero
from kgraph.ops.statistics import percentile
from kgraph.ops.statistics import ptp
from kgraph.ops.statistics import quantile
from kgraph.ops.statistics import searchsorted
from kgraph.ops.statistics import trapezoid
from kgraph.ops.statistics import unique
from kgraph.ops.statistics import unravel_index
from kgraph.ops.statistics import vander

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "angle",
    "any",
    "append",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "array",
    "array_split",
    "average",
    "bartlett",
    "bincount",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "blackman",
    "broadcast_to",
    "cbrt",
    "ceil",
    "clip",
    "concatenate",
    "conj",
    "conjugate",
    "copy",
    "corrcoef",
    "correlate",
    "cos",
    "cosh",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "deg2rad",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "divide",
    "divide_no_nan",
    "dot",
    "dsplit",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "eye",
    "fabs",
    "flip",
    "fliplr",
    "flipud",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "full",
    "full_like",
    "gcd",
    "geomspace",
    "get_item",
    "greater",
    "greater_equal",
    "hamming",
    "hanning",
    "heaviside",
    "histogram",
    "hsplit",
    "hstack",
    "hypot",
    "i0",
    "identity",
    "imag",
    "inner",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "kaiser",
    "kron",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logspace",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "ndim",
    "negative",
    "nextafter",
    "nonzero",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "percentile",
    "power",
    "prod",
    "ptp",
    "quantile",
    "rad2deg",
    "ravel",
    "real",
    "reciprocal",
    "repeat",
    "reshape",
    "right_shift",
    "roll",
    "rot90",
    "round",
    "searchsorted",
    "select",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "size",
    "slogdet",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "trace",
    "transpose",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "unique",
    "unravel_index",
    "vander",
    "var",
    "vdot",
    "vectorize",
    "view",
    "vsplit",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
]
