"""``kgraph.ops.nn``: Keras's ``keras.ops.nn`` namespace, the
neural-network functions (activations, convolutions and pooling,
normalizations, crossentropies, attention, pixel shuffles).

Each name is the function ``kgraph.ops`` offers under the same name,
re-exported from the module that defines it. Keras's CTC functions and
``polar`` (complex numbers) are not here.
"""

from kgraph.ops.adaptive_pooling import adaptive_average_pool
from kgraph.ops.adaptive_pooling import adaptive_max_pool
from kgraph.ops.composite import elu
from kgraph.ops.composite import leaky_relu
from kgraph.ops.composite import one_hot
from kgraph.ops.composite import relu
from kgraph.ops.composite import sigmoid
from kgraph.ops.composite import softmax
from kgraph.ops.composite import softplus
from kgraph.ops.conv_variants import conv_transpose
from kgraph.ops.conv_variants import depthwise_conv
from kgraph.ops.conv_variants import separable_conv
from kgraph.ops.convolution import conv
from kgraph.ops.depth_space import depth_to_space
from kgraph.ops.depth_space import space_to_depth
from kgraph.ops.nn_functions import batch_normalization
from kgraph.ops.nn_functions import binary_crossentropy
from kgraph.ops.nn_functions import categorical_crossentropy
from kgraph.ops.nn_functions import celu
from kgraph.ops.nn_functions import dot_product_attention
from kgraph.ops.nn_functions import fold
from kgraph.ops.nn_functions import gelu
from kgraph.ops.nn_functions import glu
from kgraph.ops.nn_functions import hard_shrink
from kgraph.ops.nn_functions import hard_sigmoid
from kgraph.ops.nn_functions import hard_silu
from kgraph.ops.nn_functions import hard_swish
from kgraph.ops.nn_functions import hard_tanh
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
from kgraph.ops.pooling import average_pool
from kgraph.ops.pooling import max_pool

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "batch_normalization",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "depth_to_space",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "fold",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "layer_normalization",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "moments",
    "multi_hot",
    "normalize",
    "one_hot",
    "psnr",
    "relu",
    "relu6",
    "rms_normalization",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_categorical_crossentropy",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
    "threshold",
    "unfold",
]
