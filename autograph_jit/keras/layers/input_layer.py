"""`keras.layers.InputLayer` and `keras.Input`: the entry points of a functional model, each
holding one KerasTensor of the given shape (batch dimension first, `None` when unknown)."""
from .keras_tensor import KerasTensor, Node
from .layer import Layer

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """Keras 3's `keras.layers.InputLayer(shape=None, batch_size=None, dtype=None, sparse=None,
    batch_shape=None, input_tensor=None, optional=False, name=None)`.

    Usually made through `keras.Input(shape=(4,))`; a Sequential model makes one from its first
    layer's `input_shape=`.

    >>> model = tf.keras.Sequential([tf.keras.layers.InputLayer(shape=(4,)), tf.keras.layers.Dense(2)])
    >>> model.output_shape
    (None, 2)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same "
                             "time.")
        if shape is None and batch_shape is None and input_tensor is None:
            raise ValueError("You must pass a `shape` argument.")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError("Argument `input_tensor` must be a KerasTensor. Received "
                                 f"invalid type: input_tensor={input_tensor} (of type "
                                 f"{type(input_tensor)})")
            batch_shape = input_tensor.shape
        if shape is not None:
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(batch_shape)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, dtype=self.dtype, sparse=self.sparse,
                                       name=self.name)
        self._input_tensor = input_tensor
        Node(self, call_args=(), call_kwargs={}, outputs=input_tensor)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def output(self):
        return self._input_tensor

    def call(self):
        return None

    def get_config(self):
        return {"batch_shape": self._batch_shape, "dtype": self.dtype, "sparse": self.sparse,
                "name": self.name, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "batch_input_shape" in config and "batch_shape" not in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
        config.pop("ragged", None)
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """Keras 3's `keras.Input`: a KerasTensor to start a functional model from.

    Args: `shape` (without the batch dimension), `batch_size`, `dtype`, `sparse`, `batch_shape`
    (with it), `name`, `tensor`, `optional`.
    Example: `x = keras.Input(shape=(784,)); y = keras.layers.Dense(10)(x)`.

    >>> x = tf.keras.Input(shape=(3,), name='features')
    >>> x.shape, x.dtype
    ((None, 3), 'float32')
    >>> tf.keras.Model(x, tf.keras.layers.Dense(2)(x)).output_shape
    (None, 2)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output
