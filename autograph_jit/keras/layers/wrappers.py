"""Layer wrappers (Keras 3): TimeDistributed (applies a layer to every time step) and
Bidirectional (runs a recurrent layer forwards and backwards and merges the two)."""
from ...ops import array_ops as A
from ...ops import math_ops as M
from ...ops import tiling as T
from .layer import Layer

__all__ = ["TimeDistributed", "Bidirectional", "Wrapper"]


def _clone(layer, **overrides):
    config = layer.get_config()
    config.update(overrides)
    return type(layer).from_config(config)


def _serialize(layer):
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "registered_name": None}


def _deserialize(spec, custom_objects=None):
    from .. import layers as _layers
    cls = (custom_objects or {}).get(spec["class_name"]) or getattr(_layers, spec["class_name"],
                                                                    None)
    if cls is None:
        raise ValueError(f"Unknown layer class {spec['class_name']!r}; pass it in "
                         f"custom_objects")
    return cls.from_config(spec["config"])


class Wrapper(Layer):
    """Base class of layers that wrap another layer (`self.layer`).

    >>> isinstance(tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2)), tf.keras.layers.Wrapper)
    True
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Argument `layer` must be a Layer instance. Received: "
                             f"layer={layer}")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        config = super().get_config()
        config["layer"] = _serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        return super().from_config(config)


class TimeDistributed(Wrapper):
    """Applies `layer` to every time step of (batch, time, ...) inputs, sharing its weights:
    `TimeDistributed(Dense(8))` maps (batch, 10, 16) to (batch, 10, 8).

    >>> layer = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2))
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 5, 2])
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with "
                             f"at least 3 dimensions, received: {tuple(input_shape)}")
        if not self.layer.built:
            self.layer._run_build((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=None, mask=None):
        dims = inputs.shape.as_list()
        steps = dims[1]
        runtime = A.shape(inputs)
        flat_dims = [-1] + [d for d in dims[2:]]
        if None in dims[2:]:
            flat = A.reshape(inputs, A.concat([A.constant([-1], dtype=runtime.dtype),
                                               runtime[2:]], 0))
        else:
            flat = A.reshape(inputs, flat_dims)
        kwargs = {}
        if "training" in self.layer._call_signature()[4]:
            kwargs["training"] = training
        y = self.layer(flat, **kwargs)
        ydims = y.shape.as_list()
        if steps is not None and None not in ydims[1:]:
            return A.reshape(y, [-1, steps] + ydims[1:])
        yshape = A.shape(y)
        return A.reshape(y, A.concat([runtime[:2], yshape[1:]], 0))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (inner[0], input_shape[1]) + tuple(inner[1:])

    def compute_mask(self, inputs, mask=None):
        return mask


class Bidirectional(Wrapper):
    """Runs a recurrent `layer` forwards and a copy backwards and merges their outputs:
    `Bidirectional(LSTM(8), merge_mode='concat')` (also 'sum', 'mul', 'ave', None for a list).
    Weights: the forward layer's, then the backward layer's (named `forward_<name>`,
    `backward_<name>` as in Keras).

    >>> layer = tf.keras.layers.Bidirectional(tf.keras.layers.SimpleRNN(4))
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 8])
    """

    _MODES = ("sum", "mul", "ave", "concat", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if merge_mode not in self._MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should "
                             f"be one of {{'sum', 'mul', 'ave', 'concat', None}}")
        if not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: `layer` must be a recurrent layer (with "
                             f"go_backwards), got {layer}")
        super().__init__(layer, weights=weights, **kwargs)
        base = layer.name[len("forward_"):] if layer.name.startswith("forward_") else layer.name
        self.forward_layer = _clone(layer, name="forward_" + base)
        if backward_layer is None:
            self.backward_layer = _clone(layer, name="backward_" + base,
                                         go_backwards=not layer.go_backwards)
        else:
            if backward_layer.return_sequences != layer.return_sequences or \
                    backward_layer.return_state != layer.return_state:
                raise ValueError("Forward layer and backward layer should have the same "
                                 "return_sequences and return_state")
            self.backward_layer = backward_layer
        self.layer = None  # the wrapped layer itself is not run (nor tracked): its clones are
        self._layer_config = _serialize(layer)
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._run_build(input_shape)

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return A.concat([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return M.add(y, y_rev)
        if self.merge_mode == "ave":
            return M.multiply(M.add(y, y_rev), 0.5)
        if self.merge_mode == "mul":
            return M.multiply(y, y_rev)
        return [y, y_rev]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        f_state = b_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=f_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=b_state, mask=mask,
                                    training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = T.reverse(y_rev, [1])
        out = self._merge(y, y_rev)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            n = len(self.forward_layer.cell.state_size) if isinstance(
                self.forward_layer.cell.state_size, (list, tuple)) else 1
            return [out_mask] * (2 if self.merge_mode is None else 1) + [None] * (2 * n)
        if self.merge_mode is None:
            return [out_mask, out_mask]
        return out_mask

    def get_config(self):
        config = Layer.get_config(self)
        config["layer"] = self._layer_config
        config["merge_mode"] = self.merge_mode
        config["backward_layer"] = _serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize(config["backward_layer"], custom_objects)
        return Layer.from_config.__func__(cls, config)


