"""Core layers (Keras 3): Dense, Activation, Lambda, Identity, Masking, Rescaling."""
import inspect
import types

from ... import nest
from ...ops import math_ops as M
from ...ops import nn_ops as N
from .. import activations
from ._args import (
    add_optioned_weight, last_axis_matmul, ser, set_weight_options, weight_options_config)
from .input_spec import InputSpec
from .layer import Layer
from ...ops.array_ops import expand_dims

__all__ = ["Dense", "Activation", "Lambda", "Identity", "Masking", "Rescaling", "NotEqual"]


class Dense(Layer):
    """`activation(dot(inputs, kernel) + bias)` on the last axis.

    Args: `units`, `activation=None`, `use_bias=True`, `kernel_initializer='glorot_uniform'`,
    `bias_initializer='zeros'`, `kernel_regularizer`, `bias_regularizer`, `activity_regularizer`,
    `kernel_constraint`, `bias_constraint`. Weights: `kernel` (in, units), `bias` (units,).

    Example: `tf.keras.layers.Dense(4, activation="relu")(tf.ones((2, 3))).shape` is (2, 4).

    >>> layer = tf.keras.layers.Dense(3, activation='relu')
    >>> layer(tf.ones([2, 4])).shape
    TensorShape([2, 3])
    >>> [w.shape for w in layer.weights]
    [TensorShape([4, 3]), TensorShape([3])]
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if quantization_config is not None:
            raise ValueError("Dense(quantization_config=...) is not supported; leave it None")
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        if lora_rank is not None:
            raise ValueError("Dense(lora_rank=...) is not supported; leave lora_rank=None")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(
            self, kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense layer {self.name}: the last dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        self.kernel = add_optioned_weight(self, "kernel", (input_dim, self.units))
        self.bias = add_optioned_weight(self, "bias", (self.units,)) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        if not inputs.dtype.is_floating:  # Keras 3 promotes int inputs (multi_hot counts)
            inputs = M.cast(inputs, self.compute_dtype)
        x = last_axis_matmul(inputs, self.kernel)
        if self.bias is not None:
            x = N.bias_add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units, "activation": ser("activation", self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self, "kernel", "bias")})
        return config


class Activation(Layer):
    """Applies an activation function: `Activation('relu')` or `Activation(tf.nn.gelu)`.

    >>> layer = tf.keras.layers.Activation('relu')
    >>> layer(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = ser("activation", self.activation)
        return config


class Identity(Layer):
    """Returns its input unchanged.

    >>> tf.keras.layers.Identity()(tf.constant([1.0, 2.0])).numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return nest.map_structure(lambda x: x, inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


class Lambda(Layer):
    """Wraps a function of the inputs as a layer: `Lambda(lambda x: x ** 2)`.

    Args: `function`, `output_shape=None` (a tuple or a function of the input shape, used when
    the function cannot be traced symbolically), `mask=None`, `arguments=None` (extra keyword
    arguments passed to the function).

    >>> layer = tf.keras.layers.Lambda(lambda x: x * 2)
    >>> layer(tf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = arguments or {}
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        try:
            params = inspect.signature(self.function).parameters
        except (TypeError, ValueError):
            params = {}
        if "mask" in params:
            kwargs["mask"] = mask
        if "training" in params:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        _, serialization = _saving()
        serialize_keras_object = serialization.serialize_keras_object
        config = super().get_config()
        config["function"] = _function_config(self.function)
        if self._output_shape is not None:
            config["output_shape"] = (_function_config(self._output_shape)
                                      if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            config["mask"] = (_function_config(self.mask) if callable(self.mask)
                              else serialize_keras_object(self.mask))
        config["arguments"] = serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Keras 3's: a Python lambda (stored as bytecode) loads only when safe mode is off
        (`safe_mode=False` here or to `load_model`, or
        `keras.config.enable_unsafe_deserialization()`); unset means safe. Named functions
        resolve as other Keras objects do (custom_objects, registered names, their module)."""
        function_code, serialization = _saving()
        deserialize_keras_object = serialization.deserialize_keras_object
        config = dict(config)
        safe = (safe_mode if safe_mode is not None else function_code.in_safe_mode()) is not False
        config["function"] = _function_from_config(config["function"], custom_objects, safe)
        if "output_shape" in config:
            shape = _function_from_config(config["output_shape"], custom_objects, safe)
            if isinstance(shape, list) and all(isinstance(e, (int, type(None))) for e in shape):
                shape = tuple(shape)
            config["output_shape"] = shape
        if "mask" in config:
            config["mask"] = _function_from_config(config["mask"], custom_objects, safe)
        if "arguments" in config:
            config["arguments"] = deserialize_keras_object(config["arguments"],
                                                           custom_objects=custom_objects)
        return super().from_config(config)


def _saving():
    """(keras.saving.function_code, keras.saving.serialization), imported on first use:
    keras.saving imports the layers (a top-level import here would close that cycle)."""
    from ..saving import function_code, serialization
    return function_code, serialization


def _function_config(fn):
    """A Lambda's callable as Keras 3 stores it: a Python lambda as its bytecode
    (`{"class_name": "__lambda__", ...}`), any other callable as a Keras object reference."""
    function_code, serialization = _saving()
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code, defaults, closure = function_code.func_dump(fn)
        return {"class_name": function_code.LAMBDA_CLASS_NAME,
                "config": {"code": code, "defaults": defaults, "closure": closure}}
    if callable(fn):
        return serialization.serialize_keras_object(fn)
    raise ValueError(f"Invalid input type for serialization. Received: {fn} of type "
                     f"{type(fn)}.")


def _function_from_config(value, custom_objects, safe):
    """The inverse of `_function_config` (a bare name, as older autograph_jit configs stored
    it, resolves through custom_objects)."""
    function_code, serialization = _saving()
    deserialize_keras_object = serialization.deserialize_keras_object
    if isinstance(value, dict) and value.get("class_name") == function_code.LAMBDA_CLASS_NAME:
        function_code.refuse_in_safe_mode(safe)
        inner = value["config"]
        return function_code.func_load(inner["code"], defaults=inner.get("defaults"),
                                       closure=inner.get("closure"))
    if isinstance(value, str):
        fn = deserialize_keras_object(value, custom_objects=custom_objects)
        if not callable(fn):
            raise ValueError(f"Lambda.from_config: function {value!r} is unknown; pass it in "
                             f"custom_objects={{{value!r}: {value}}}")
        return fn
    return deserialize_keras_object(value, custom_objects=custom_objects)


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value` (0.0): later layers that support
    masking (RNNs, GlobalAveragePooling1D, ...) skip them; masked steps are zeroed.

    >>> masked = tf.keras.layers.Masking(mask_value=0.0)(tf.constant([[[1.0], [0.0]]]))
    >>> tf.keras.backend.get_keras_mask(masked).numpy()
    array([[ True, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return M.reduce_any(M.not_equal(inputs, M.cast(self.mask_value, inputs.dtype)), axis=-1)

    def call(self, inputs):
        keep = M.cast(self.compute_mask(inputs), inputs.dtype)
        return M.multiply(inputs, expand_dims(keep, -1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class Rescaling(Layer):
    """`inputs * scale + offset` (e.g. `Rescaling(1. / 255)` for images).

    >>> tf.keras.layers.Rescaling(1 / 255)(tf.constant([0.0, 255.0])).numpy()
    array([0., 1.], dtype=float32)
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        x = inputs if inputs.dtype.is_floating else M.cast(inputs, self.compute_dtype)
        return M.add(M.multiply(x, M.cast(self.scale, x.dtype)), M.cast(self.offset, x.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config


class NotEqual(Layer):
    """Keras 3's `keras.ops.not_equal` as a node of a saved functional graph (class `NotEqual`,
    module 'keras.src.ops.numpy'): Keras writes one where a model passes `x != 0` on, e.g. the
    `mask=` an `Embedding(mask_zero=True)` input gives a `Bidirectional` layer. Loading such a
    file rebuilds the node as this layer; it has no weights and returns a bool tensor.

    >>> from autograph_jit.keras.layers.core import NotEqual
    >>> NotEqual()(tf.constant([0, 3]), 0).numpy()
    array([False,  True])
    """

    def __call__(self, x1, x2, **kwargs):
        # a Keras operation takes its scalar operand positionally; a layer takes it by keyword
        if isinstance(x2, (bool, int, float)):
            return super().__call__(x1, x2=x2, **kwargs)
        return super().__call__(x1, x2, **kwargs)

    def call(self, x1, x2):
        return M.not_equal(x1, x2)

    def compute_output_shape(self, x1_shape, x2_shape=()):
        return tuple(x1_shape)
