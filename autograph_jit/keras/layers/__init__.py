"""`tf.keras.layers`: the Layer base class, Input/InputLayer/InputSpec, and the concrete layers.

One import per line (several engineers add layers here at once)."""
from .layer import Layer  # noqa: F401
from .input_spec import InputSpec  # noqa: F401
from .input_layer import Input  # noqa: F401
from .input_layer import InputLayer  # noqa: F401
