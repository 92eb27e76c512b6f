"""``kgraph.ops``: the tensor functions, eager on arrays and symbolic on graph
tensors. Importing this package registers every primitive op."""

from kgraph.ops import image
from kgraph.ops import linalg
from kgraph.ops import nn
from kgraph.ops import numpy
from kgraph.ops import registry
from kgraph.ops.adaptive_pooling import adaptive_average_pool
from kgraph.ops.adaptive_pooling import adaptive_max_pool
from kgraph.ops.builder import apply
from kgraph.ops.builder import layer_scope
from kgraph.ops.collective import all_reduce
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
from kgraph.ops.contraction import cross
from kgraph.ops.contraction import dot
from kgraph.ops.contraction import inner
from kgraph.ops.contraction import kron
from kgraph.ops.contraction import outer
from kgraph.ops.contraction import tensordot
from kgraph.ops.contraction import vdot
from kgraph.ops.control import scan
from kgraph.ops.conv_variants import conv_transpose
from kgraph.ops.conv_variants import depthwise_conv
from kgraph.ops.conv_variants import separable_conv
from kgraph.ops.convolution import conv
from kgraph.ops.convolution import conv_kernel_grad
from kgraph.ops.core_functions import array
from kgraph.ops.core_functions import associative_scan
from kgraph.ops.core_functions import cond
from kgraph.ops.core_functions import convert_to_numpy
from kgraph.ops.core_functions import convert_to_tensor
from kgraph.ops.core_functions import copy
from kgraph.ops.core_functions import dtype
from kgraph.ops.core_functions import fori_loop
from kgraph.ops.core_functions import is_tensor
from kgraph.ops.core_functions import map
from kgraph.ops.core_functions import ndim
from kgraph.ops.core_functions import shape
from kgraph.ops.core_functions import size
from kgraph.ops.core_functions import switch
from kgraph.ops.core_functions import vectorize
from kgraph.ops.core_functions import vectorized_map
from kgraph.ops.core_functions import view
from kgraph.ops.core_functions import while_loop
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
from kgraph.ops.depth_space import depth_to_space
from kgraph.ops.depth_space import space_to_depth
from kgraph.ops.differentiation import custom_gradient
from kgraph.ops.differentiation import jvp
from kgraph.ops.einsum import einsum
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
from kgraph.ops.elementwise_math import erf
from kgraph.ops.elementwise_math import erfc
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
from kgraph.ops.fft_functions import fft
from kgraph.ops.fft_functions import fft2
from kgraph.ops.fft_functions import ifft2
from kgraph.ops.fft_functions import irfft
from kgraph.ops.fft_functions import istft
from kgraph.ops.fft_functions import rfft
from kgraph.ops.fft_functions import stft
from kgraph.ops.fused import fused
from kgraph.ops.hashing import hash_bucket
from kgraph.ops.image.sampling import iota
from kgraph.ops.linalg_functions import cdist
from kgraph.ops.linalg_functions import cholesky
from kgraph.ops.linalg_functions import cholesky_inverse
from kgraph.ops.linalg_functions import det
from kgraph.ops.linalg_functions import eig
from kgraph.ops.linalg_functions import eigh
from kgraph.ops.linalg_functions import inv
from kgraph.ops.linalg_functions import logdet
from kgraph.ops.linalg_functions import lstsq
from kgraph.ops.linalg_functions import lu_factor
from kgraph.ops.linalg_functions import matrix_rank
from kgraph.ops.linalg_functions import norm
from kgraph.ops.linalg_functions import pinv
from kgraph.ops.linalg_functions import qr
from kgraph.ops.linalg_functions import slogdet
from kgraph.ops.linalg_functions import solve
from kgraph.ops.linalg_functions import solve_triangular
from kgraph.ops.linalg_functions import svd
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
from kgraph.ops.manipulation import rearrange
from kgraph.ops.manipulation import repeat
from kgraph.ops.manipulation import roll
from kgraph.ops.manipulation import rot90
from kgraph.ops.manipulation import scatter
from kgraph.ops.manipulation import scatter_update
from kgraph.ops.manipulation import select
from kgraph.ops.manipulation import slice_update
from kgraph.ops.manipulation import split
from kgraph.ops.manipulation import tile
from kgraph.ops.manipulation import trace
from kgraph.ops.manipulation import tril
from kgraph.ops.manipulation import triu
from kgraph.ops.manipulation import unstack
from kgraph.ops.manipulation import vsplit
from kgraph.ops.manipulation import vstack
from kgraph.ops.nn_functions import batch_normalization
from kgraph.ops.nn_functions import binary_crossentropy
from kgraph.ops.nn_functions import categorical_crossentropy
from kgraph.ops.nn_functions import celu
from kgraph.ops.nn_functions import dot_product_attention
from kgraph.ops.nn_functions import extract_sequences
from kgraph.ops.nn_functions import fold
from kgraph.ops.nn_functions import gelu
from kgraph.ops.nn_functions import glu
from kgraph.ops.nn_functions import hard_shrink
from kgraph.ops.nn_functions import hard_sigmoid
from kgraph.ops.nn_functions import hard_silu
from kgraph.ops.nn_functions import hard_swish
from kgraph.ops.nn_functions import hard_tanh
from kgraph.ops.nn_functions import in_top_k
from kgraph.ops.nn_functions import layer_normalization
from kgraph.ops.nn_functions import log_sigmoid
from kgraph.ops.nn_functions import moments
from kgraph.ops.nn_functions import multi_hot
from kgraph.ops.nn_functions import normalize
from kgraph.ops.nn_functions import psnr
from kgraph.ops.nn_functions import relu6
from kgraph.ops.nn_functions import rms_normalization
from kgraph.ops.nn_functions import selu
from kgraph.ops.nn_functions import silu
from kgraph.ops.nn_functions import soft_shrink
from kgraph.ops.nn_functions import softsign
from kgraph.ops.nn_functions import sparse_categorical_crossentropy
from kgraph.ops.nn_functions import sparse_plus
from kgraph.ops.nn_functions import sparse_sigmoid
from kgraph.ops.nn_functions import sparsemax
from kgraph.ops.nn_functions import squareplus
from kgraph.ops.nn_functions import swish
from kgraph.ops.nn_functions import tanh_shrink
from kgraph.ops.nn_functions import threshold
from kgraph.ops.nn_functions import unfold
from kgraph.ops.nn_primitives import log_softmax
from kgraph.ops.numpy_math import absolute
from kgraph.ops.numpy_math import allclose
from kgraph.ops.numpy_math import angle
from kgraph.ops.numpy_math import conj
from kgraph.ops.numpy_math import conjugate
from kgraph.ops.numpy_math import deg2rad
from kgraph.ops.numpy_math import divide_no_nan
from kgraph.ops.numpy_math import erfinv
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
from kgraph.ops.numpy_math import rsqrt
from kgraph.ops.numpy_math import saturate_cast
from kgraph.ops.numpy_math import sinc
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
from kgraph.ops.segments import segment_max
from kgraph.ops.segments import segment_min
from kgraph.ops.segments import segment_prod
from kgraph.ops.segments import segment_sum
from kgraph.ops.shaping import as_tensor
from kgraph.ops.shaping import broadcast_shapes_check
from kgraph.ops.shaping import broadcast_to
from kgraph.ops.shaping import concatenate
from kgraph.ops.shaping import expand_dims
from kgraph.ops.shaping import flip
from kgraph.ops.shaping import get_item
from kgraph.ops.shaping import pad
from kgraph.ops.shaping import pad_general
from kgraph.ops.shaping import reshape
from kgraph.ops.shaping import scatter_add
from kgraph.ops.shaping import slice
from kgraph.ops.shaping import squeeze
from kgraph.ops.shaping import stack
from kgraph.ops.shaping import strided_slice
from kgraph.ops.shaping import swapaxes
from kgraph.ops.shaping import take
from kgraph.ops.sorting import argpartition
from kgraph.ops.sorting import argsort
from kgraph.ops.sorting import scatter_add_along_axis
from kgraph.ops.sorting import sort
from kgraph.ops.sorting import take_along_axis
from kgraph.ops.sorting import top_k
from kgraph.ops.sorting import top_k_indices
from kgraph.ops.sources import graph_constant
from kgraph.ops.sources import placeholder
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
    "adaptive_average_pool",
    "adaptive_max_pool",
    "add",
    "all",
    "all_reduce",
    "allclose",
    "amax",
    "amin",
    "angle",
    "any",
    "append",
    "apply",
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
    "as_tensor",
    "associative_scan",
    "average",
    "average_pool",
    "bartlett",
    "batch_normalization",
    "binary_crossentropy",
    "bincount",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "blackman",
    "broadcast_shapes_check",
    "broadcast_to",
    "cast",
    "categorical_crossentropy",
    "cbrt",
    "cdist",
    "ceil",
    "celu",
    "cholesky",
    "cholesky_inverse",
    "clip",
    "concatenate",
    "cond",
    "conj",
    "conjugate",
    "conv",
    "conv_kernel_grad",
    "conv_transpose",
    "convert_to_numpy",
    "convert_to_tensor",
    "copy",
    "corrcoef",
    "correlate",
    "cos",
    "cosh",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "custom_gradient",
    "deg2rad",
    "depth_to_space",
    "depthwise_conv",
    "det",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "divide",
    "divide_no_nan",
    "dot",
    "dot_product_attention",
    "dsplit",
    "dstack",
    "dtype",
    "eig",
    "eigh",
    "einsum",
    "elu",
    "empty",
    "empty_like",
    "equal",
    "erf",
    "erfc",
    "erfinv",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "extract_sequences",
    "eye",
    "fabs",
    "fft",
    "fft2",
    "flip",
    "fliplr",
    "flipud",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "fold",
    "fori_loop",
    "full",
    "full_like",
    "fused",
    "gcd",
    "gelu",
    "geomspace",
    "get_item",
    "glu",
    "graph_constant",
    "greater",
    "greater_equal",
    "hamming",
    "hanning",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "hash_bucket",
    "heaviside",
    "histogram",
    "hsplit",
    "hstack",
    "hypot",
    "i0",
    "identity",
    "ifft2",
    "imag",
    "image",
    "in_top_k",
    "inner",
    "inv",
    "iota",
    "irfft",
    "is_tensor",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "istft",
    "jvp",
    "kaiser",
    "kron",
    "layer_normalization",
    "layer_scope",
    "lcm",
    "ldexp",
    "leaky_relu",
    "left_shift",
    "less",
    "less_equal",
    "linalg",
    "linspace",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_sigmoid",
    "log_softmax",
    "logaddexp",
    "logaddexp2",
    "logdet",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logspace",
    "logsumexp",
    "lstsq",
    "lu_factor",
    "map",
    "matmul",
    "matrix_rank",
    "max",
    "max_pool",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mod",
    "moments",
    "moveaxis",
    "multi_hot",
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
    "nn",
    "nonzero",
    "norm",
    "normalize",
    "not_equal",
    "numpy",
    "one_hot",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "pad_general",
    "percentile",
    "pinv",
    "placeholder",
    "pool_argmax",
    "power",
    "prod",
    "promote",
    "psnr",
    "ptp",
    "qr",
    "quantile",
    "rad2deg",
    "random_bernoulli",
    "random_normal",
    "random_uniform",
    "ravel",
    "real",
    "rearrange",
    "reciprocal",
    "registry",
    "relu",
    "relu6",
    "repeat",
    "reshape",
    "rfft",
    "right_shift",
    "rms_normalization",
    "roll",
    "rot90",
    "round",
    "rsqrt",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_add",
    "scatter_add_along_axis",
    "scatter_update",
    "searchsorted",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "select",
    "selu",
    "separable_conv",
    "shape",
    "sigmoid",
    "sign",
    "signbit",
    "silu",
    "sin",
    "sinc",
    "sinh",
    "size",
    "slice",
    "slice_update",
    "slogdet",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "solve",
    "solve_triangular",
    "sort",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "split",
    "sqrt",
    "square",
    "squareplus",
    "squeeze",
    "stack",
    "std",
    "stft",
    "stop_gradient",
    "strided_slice",
    "subtract",
    "sum",
    "sum_pool",
    "sum_to_shape",
    "svd",
    "swapaxes",
    "swish",
    "switch",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tanh_shrink",
    "tensordot",
    "threshold",
    "tile",
    "top_k",
    "top_k_indices",
    "trace",
    "transpose",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "unfold",
    "unique",
    "unravel_index",
    "unstack",
    "vander",
    "var",
    "vdot",
    "vectorize",
    "vectorized_map",
    "view",
    "vsplit",
    "vstack",
    "where",
    "while_loop",
    "zeros",
    "zeros_like",
]
