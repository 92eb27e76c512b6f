"""Utilities."""

from kgraph.objects import CustomObjectScope
from kgraph.objects import custom_object_scope
from kgraph.objects import get_custom_objects
from kgraph.objects import get_registered_name
from kgraph.objects import get_registered_object
from kgraph.objects import register_keras_serializable
from kgraph.utils.config import Config
from kgraph.utils.data_utils import pack_x_y_sample_weight
from kgraph.utils.data_utils import split_dataset
from kgraph.utils.data_utils import unpack_x_y_sample_weight
from kgraph.utils.delegates import clear_session
from kgraph.utils.delegates import deserialize_keras_object
from kgraph.utils.delegates import is_keras_tensor
from kgraph.utils.delegates import serialize_keras_object
from kgraph.utils.delegates import standardize_dtype
from kgraph.utils.file_utils import get_file
from kgraph.utils.history_plot import plot_history
from kgraph.utils.image_utils import array_to_img
from kgraph.utils.image_utils import img_to_array
from kgraph.utils.image_utils import load_img
from kgraph.utils.image_utils import save_img
from kgraph.utils.io_utils import disable_interactive_logging
from kgraph.utils.io_utils import enable_interactive_logging
from kgraph.utils.io_utils import is_interactive_logging_enabled
from kgraph.utils.numerical import normalize
from kgraph.utils.numerical import to_categorical
from kgraph.utils.plot import model_to_dot
from kgraph.utils.plot import plot_model
from kgraph.utils.progbar import Progbar
from kgraph.utils.py_dataset import PyDataset
from kgraph.utils.py_dataset import Sequence
from kgraph.utils.random import set_random_seed
from kgraph.utils.sequence import pad_sequences
from kgraph.utils.source_inputs import get_source_inputs
from kgraph.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
