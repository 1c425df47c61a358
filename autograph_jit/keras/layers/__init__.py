"""`tf.keras.layers`: the Layer base class, Input/InputLayer/InputSpec, and the concrete layers.

One import per line (several engineers add layers here at once)."""
from .layer import Layer  # noqa: F401
from .input_spec import InputSpec  # noqa: F401
from .input_layer import Input  # noqa: F401
from .input_layer import InputLayer  # noqa: F401
from .core import Activation, Dense, Identity, Lambda  # noqa: F401
from .reshaping import Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape  # noqa: F401
from .reshaping import UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D  # noqa: F401
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from .regularization import ActivityRegularization, Dropout, GaussianNoise  # noqa: F401
from .regularization import SpatialDropout1D, SpatialDropout2D  # noqa: F401
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract  # noqa: F401,E501
from .merging import add, average, concatenate, dot, maximum, minimum, multiply, subtract  # noqa: F401,E501
