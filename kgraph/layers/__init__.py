"""``kgraph.layers``: Keras's layers, written with ``kgraph.ops``."""

from kgraph.layers.activation_layers import ELU
from kgraph.layers.activation_layers import LeakyReLU
from kgraph.layers.activation_layers import PReLU
from kgraph.layers.activation_layers import ReLU
from kgraph.layers.activation_layers import Softmax
from kgraph.layers.adaptive_pooling import AdaptiveAveragePooling1D
from kgraph.layers.adaptive_pooling import AdaptiveAveragePooling2D
from kgraph.layers.adaptive_pooling import AdaptiveAveragePooling3D
from kgraph.layers.adaptive_pooling import AdaptiveMaxPooling1D
from kgraph.layers.adaptive_pooling import AdaptiveMaxPooling2D
from kgraph.layers.adaptive_pooling import AdaptiveMaxPooling3D
from kgraph.layers.attention import AdditiveAttention
from kgraph.layers.attention import Attention
from kgraph.layers.conv_lstm import ConvLSTM1D
from kgraph.layers.conv_lstm import ConvLSTM2D
from kgraph.layers.conv_lstm import ConvLSTM3D
from kgraph.layers.conv_transpose import Conv1DTranspose
from kgraph.layers.conv_transpose import Conv2DTranspose
from kgraph.layers.conv_transpose import Conv3DTranspose
from kgraph.layers.conv_transpose import Convolution1DTranspose
from kgraph.layers.conv_transpose import Convolution2DTranspose
from kgraph.layers.conv_transpose import Convolution3DTranspose
from kgraph.layers.convolutional import Conv1D
from kgraph.layers.convolutional import Conv2D
from kgraph.layers.convolutional import Conv3D
from kgraph.layers.convolutional import Convolution1D
from kgraph.layers.convolutional import Convolution2D
from kgraph.layers.convolutional import Convolution3D
from kgraph.layers.core import Activation
from kgraph.layers.core import Dense
from kgraph.layers.core import Identity
from kgraph.layers.core import Lambda
from kgraph.layers.depthwise import DepthwiseConv1D
from kgraph.layers.depthwise import DepthwiseConv2D
from kgraph.layers.einsum_dense import EinsumDense
from kgraph.layers.embedding import Embedding
from kgraph.layers.group_normalization import GroupNormalization
from kgraph.layers.group_normalization import RMSNormalization
from kgraph.layers.group_normalization import UnitNormalization
from kgraph.layers.grouped_query_attention import GroupedQueryAttention
from kgraph.layers.grouped_query_attention import GroupQueryAttention
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
from kgraph.layers.multi_head_attention import MultiHeadAttention
from kgraph.layers.noise import ActivityRegularization
from kgraph.layers.noise import AlphaDropout
from kgraph.layers.noise import GaussianDropout
from kgraph.layers.noise import GaussianNoise
from kgraph.layers.noise import SpatialDropout1D
from kgraph.layers.noise import SpatialDropout2D
from kgraph.layers.noise import SpatialDropout3D
from kgraph.layers.normalization import BatchNormalization
from kgraph.layers.normalization import LayerNormalization
from kgraph.layers.padding_cropping import Cropping1D
from kgraph.layers.padding_cropping import Cropping2D
from kgraph.layers.padding_cropping import Cropping3D
from kgraph.layers.padding_cropping import ZeroPadding1D
from kgraph.layers.padding_cropping import ZeroPadding2D
from kgraph.layers.padding_cropping import ZeroPadding3D
from kgraph.layers.pipeline import Pipeline
from kgraph.layers.pooling import AveragePooling1D
from kgraph.layers.pooling import AveragePooling2D
from kgraph.layers.pooling import AveragePooling3D
from kgraph.layers.pooling import AvgPool1D
from kgraph.layers.pooling import AvgPool2D
from kgraph.layers.pooling import AvgPool3D
from kgraph.layers.pooling import GlobalAveragePooling1D
from kgraph.layers.pooling import GlobalAveragePooling2D
from kgraph.layers.pooling import GlobalAveragePooling3D
from kgraph.layers.pooling import GlobalAvgPool1D
from kgraph.layers.pooling import GlobalAvgPool2D
from kgraph.layers.pooling import GlobalAvgPool3D
from kgraph.layers.pooling import GlobalMaxPool1D
from kgraph.layers.pooling import GlobalMaxPool2D
from kgraph.layers.pooling import GlobalMaxPool3D
from kgraph.layers.pooling import GlobalMaxPooling1D
from kgraph.layers.pooling import GlobalMaxPooling2D
from kgraph.layers.pooling import GlobalMaxPooling3D
from kgraph.layers.pooling import MaxPool1D
from kgraph.layers.pooling import MaxPool2D
from kgraph.layers.pooling import MaxPool3D
from kgraph.layers.pooling import MaxPooling1D
from kgraph.layers.pooling import MaxPooling2D
from kgraph.layers.pooling import MaxPooling3D
from kgraph.layers.preprocessing.augmentation import RandomBrightness
from kgraph.layers.preprocessing.augmentation import RandomContrast
from kgraph.layers.preprocessing.augmentation import RandomCrop
from kgraph.layers.preprocessing.augmentation import RandomFlip
from kgraph.layers.preprocessing.augmentation import RandomRotation
from kgraph.layers.preprocessing.augmentation import RandomShear
from kgraph.layers.preprocessing.augmentation import RandomTranslation
from kgraph.layers.preprocessing.augmentation import RandomZoom
from kgraph.layers.preprocessing.categorical import CategoryEncoding
from kgraph.layers.preprocessing.categorical import Discretization
from kgraph.layers.preprocessing.categorical import Hashing
from kgraph.layers.preprocessing.categorical import IntegerLookup
from kgraph.layers.preprocessing.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization,
)
from kgraph.layers.preprocessing.color import AutoContrast
from kgraph.layers.preprocessing.color import Equalization
from kgraph.layers.preprocessing.color import RandomColorDegeneration
from kgraph.layers.preprocessing.color import RandomColorJitter
from kgraph.layers.preprocessing.color import RandomGaussianBlur
from kgraph.layers.preprocessing.color import RandomGrayscale
from kgraph.layers.preprocessing.color import RandomHue
from kgraph.layers.preprocessing.color import RandomInvert
from kgraph.layers.preprocessing.color import RandomPosterization
from kgraph.layers.preprocessing.color import RandomSaturation
from kgraph.layers.preprocessing.color import RandomSharpness
from kgraph.layers.preprocessing.color import Solarization
from kgraph.layers.preprocessing.crossing import HashedCrossing
from kgraph.layers.preprocessing.geometric import RandomElasticTransform
from kgraph.layers.preprocessing.geometric import RandomPerspective
from kgraph.layers.preprocessing.image import CenterCrop
from kgraph.layers.preprocessing.image import Resizing
from kgraph.layers.preprocessing.mixing import CutMix
from kgraph.layers.preprocessing.mixing import MixUp
from kgraph.layers.preprocessing.mixing import RandomErasing
from kgraph.layers.preprocessing.policies import AugMix
from kgraph.layers.preprocessing.policies import RandAugment
from kgraph.layers.preprocessing.scaling import Normalization
from kgraph.layers.preprocessing.scaling import Rescaling
from kgraph.layers.preprocessing.text import StringLookup
from kgraph.layers.preprocessing.text import TextVectorization
from kgraph.layers.recurrent import GRU
from kgraph.layers.recurrent import LSTM
from kgraph.layers.recurrent import RNN
from kgraph.layers.recurrent import SimpleRNN
from kgraph.layers.regularization import Dropout
from kgraph.layers.reshaping import Flatten
from kgraph.layers.reshaping import Permute
from kgraph.layers.reshaping import RepeatVector
from kgraph.layers.reshaping import Reshape
from kgraph.layers.reversible_embedding import ReversibleEmbedding
from kgraph.layers.rnn_cells import GRUCell
from kgraph.layers.rnn_cells import LSTMCell
from kgraph.layers.rnn_cells import SimpleRNNCell
from kgraph.layers.rnn_cells import StackedRNNCells
from kgraph.layers.separable import SeparableConv1D
from kgraph.layers.separable import SeparableConv2D
from kgraph.layers.separable import SeparableConvolution1D
from kgraph.layers.separable import SeparableConvolution2D
from kgraph.layers.spectral_normalization import SpectralNormalization
from kgraph.layers.spectrogram import MelSpectrogram
from kgraph.layers.spectrogram import STFTSpectrogram
from kgraph.layers.upsampling import UpSampling1D
from kgraph.layers.upsampling import UpSampling2D
from kgraph.layers.upsampling import UpSampling3D
from kgraph.layers.wrapper_base import Wrapper
from kgraph.layers.wrappers import Bidirectional
from kgraph.layers.wrappers import TimeDistributed

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "ActivityRegularization",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Add",
    "AdditiveAttention",
    "AlphaDropout",
    "Attention",
    "AugMix",
    "AutoContrast",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Concatenate",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "CutMix",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Discretization",
    "Dot",
    "Dropout",
    "EinsumDense",
    "Embedding",
    "Equalization",
    "Flatten",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "HashedCrossing",
    "Hashing",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "IntegerLookup",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "MelSpectrogram",
    "Minimum",
    "MixUp",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "Pipeline",
    "RMSNormalization",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "ReversibleEmbedding",
    "STFTSpectrogram",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "Solarization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TextVectorization",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "Wrapper",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
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
