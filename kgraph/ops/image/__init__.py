"""``kgraph.ops.image``: image ops, channels last, as Keras's
``keras.ops.image``: resizing (``resize``), resampling
(``affine_transform``, ``map_coordinates``), cropping and padding
(``crop_images``, ``pad_images``) and colour conversions
(``rgb_to_grayscale``, ``rgb_to_hsv``, ``hsv_to_rgb``).

All are composed from gathers (``take``) and elementwise arithmetic, so
their gradients, lowering and fusion come from those primitives, except
``iota`` (each element's index along an axis), the one primitive here.
"""

from kgraph.ops.image.affine import affine_transform
from kgraph.ops.image.color import hsv_to_rgb
from kgraph.ops.image.color import rgb_to_grayscale
from kgraph.ops.image.color import rgb_to_hsv
from kgraph.ops.image.layout import crop_images
from kgraph.ops.image.layout import pad_images
from kgraph.ops.image.resize import linear_weights
from kgraph.ops.image.resize import nearest_indices
from kgraph.ops.image.resize import resize
from kgraph.ops.image.sampling import fix_index
from kgraph.ops.image.sampling import iota
from kgraph.ops.image.sampling import map_coordinates
from kgraph.ops.image.validation import AFFINE_INTERPOLATIONS
from kgraph.ops.image.validation import FILL_MODES
from kgraph.ops.image.validation import RESIZE_INTERPOLATIONS

__all__ = [
    "AFFINE_INTERPOLATIONS",
    "FILL_MODES",
    "RESIZE_INTERPOLATIONS",
    "affine_transform",
    "crop_images",
    "fix_index",
    "hsv_to_rgb",
    "iota",
    "linear_weights",
    "map_coordinates",
    "nearest_indices",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]
