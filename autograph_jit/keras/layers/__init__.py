"""`tf.keras.layers`: the Layer base class, Input/InputLayer/InputSpec, and the concrete layers.

One import per line (several engineers add layers here at once)."""
from .layer import Layer  # noqa: F401
from .layer_utils import deserialize, serialize  # noqa: F401
from .input_spec import InputSpec  # noqa: F401
from .input_layer import Input  # noqa: F401
from .input_layer import InputLayer  # noqa: F401
from .core import Activation, Dense, Identity, Lambda  # noqa: F401
from .reshaping import Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape  # noqa: F401
from .reshaping import UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D  # noqa: F401
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from .regularization import ActivityRegularization, Dropout, GaussianNoise  # noqa: F401
from .regularization import SpatialDropout1D, SpatialDropout2D  # noqa: F401
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract  # noqa: F401
from .merging import add, average, concatenate, dot, maximum, minimum, multiply, subtract  # noqa: F401
from .convolutional import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose  # noqa: F401
from .convolutional import Conv1D as Convolution1D, Conv2D as Convolution2D  # noqa: F401
from .depthwise import DepthwiseConv1D, DepthwiseConv2D  # noqa: F401
from .depthwise import SeparableConv1D, SeparableConv2D  # noqa: F401
from .pooling import AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D  # noqa: F401
from .pooling import MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D  # noqa: F401
from .pooling import GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAvgPool1D  # noqa: F401
from .pooling import GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D  # noqa: F401
from .pooling import GlobalMaxPooling1D, GlobalMaxPooling2D  # noqa: F401
from .normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells  # noqa: F401
from .rnn import GRU, LSTM, RNN, SimpleRNN  # noqa: F401
from .wrappers import Bidirectional, TimeDistributed, Wrapper  # noqa: F401
from .core import Masking, Rescaling  # noqa: F401
from .preprocessing import CategoryEncoding, Discretization, Hashing, Normalization  # noqa: F401
from .preprocessing import CenterCrop, RandomBrightness, RandomContrast, RandomCrop  # noqa: F401
from .preprocessing import RandomFlip, RandomRotation, RandomTranslation, RandomZoom  # noqa: F401
from .preprocessing import Resizing  # noqa: F401
from .preprocessing import IntegerLookup, StringLookup  # noqa: F401
from .preprocessing import TextVectorization  # noqa: F401
from .einsum_dense import EinsumDense  # noqa: F401
from .multi_head_attention import MultiHeadAttention  # noqa: F401
from .attention import AdditiveAttention, Attention  # noqa: F401
from .group_normalization import GroupNormalization, UnitNormalization  # noqa: F401
from .noise_dropout import AlphaDropout, GaussianDropout  # noqa: F401
from .normalization import RMSNormalization  # noqa: F401
from .convolutional import Conv1DTranspose as Convolution1DTranspose  # noqa: F401
from .convolutional import Conv2DTranspose as Convolution2DTranspose  # noqa: F401
from .depthwise import SeparableConv1D as SeparableConvolution1D  # noqa: F401
from .depthwise import SeparableConv2D as SeparableConvolution2D  # noqa: F401
