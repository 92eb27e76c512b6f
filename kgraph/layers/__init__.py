"""``kgraph.layers``: Keras's layers, written with ``kgraph.ops``."""

from kgraph.layers.activation_layers import LeakyReLU
from kgraph.layers.activation_layers import ReLU
from kgraph.layers.activation_layers import Softmax
from kgraph.layers.convolutional import Conv1D
from kgraph.layers.convolutional import Conv2D
from kgraph.layers.core import Activation
from kgraph.layers.core import Dense
from kgraph.layers.core import Identity
from kgraph.layers.core import Lambda
from kgraph.layers.embedding import Embedding
from kgraph.layers.input_layer import Input
from kgraph.layers.input_layer import InputLayer
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.layer import deserialize
from kgraph.layers.layer import serialize
from kgraph.layers.masking import Masking
from kgraph.layers.merging import Add
from kgraph.layers.merging import Average
from kgraph.layers.merging import Concatenate
from kgraph.layers.merging import Dot
from kgraph.layers.merging import Maximum
from kgraph.layers.merging import Minimum
from kgraph.layers.merging import Multiply
from kgraph.layers.merging import Subtract
from kgraph.layers.merging import add
from kgraph.layers.merging import average
from kgraph.layers.merging import concatenate
from kgraph.layers.merging import dot
from kgraph.layers.merging import maximum
from kgraph.layers.merging import minimum
from kgraph.layers.merging import multiply
from kgraph.layers.merging import subtract
from kgraph.layers.normalization import BatchNormalization
from kgraph.layers.normalization import LayerNormalization
from kgraph.layers.pooling import AveragePooling1D
from kgraph.layers.pooling import AveragePooling2D
from kgraph.layers.pooling import GlobalAveragePooling1D
from kgraph.layers.pooling import GlobalAveragePooling2D
from kgraph.layers.pooling import GlobalMaxPooling1D
from kgraph.layers.pooling import GlobalMaxPooling2D
from kgraph.layers.pooling import MaxPooling1D
from kgraph.layers.pooling import MaxPooling2D
from kgraph.layers.recurrent import GRU
from kgraph.layers.recurrent import LSTM
from kgraph.layers.recurrent import RNN
from kgraph.layers.recurrent import SimpleRNN
from kgraph.layers.regularization import Dropout
from kgraph.layers.reshaping import Flatten
from kgraph.layers.reshaping import Reshape
from kgraph.layers.rnn_cells import GRUCell
from kgraph.layers.rnn_cells import LSTMCell
from kgraph.layers.rnn_cells import SimpleRNNCell
from kgraph.layers.rnn_cells import StackedRNNCells
from kgraph.layers.wrappers import Bidirectional
from kgraph.layers.wrappers import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "Multiply",
    "ReLU",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "StackedRNNCells",
    "Subtract",
    "TimeDistributed",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "serialize",
    "subtract",
]
