"""`keras.Sequential`: a plain stack of layers, each feeding the next.

Built as soon as its input shape is known (an `Input`/`InputLayer` first, `input_shape=` on the
first layer, `build(input_shape)`, or the first call), so `weights` and `summary()` show every
layer from then on.

    model = keras.Sequential([keras.layers.Dense(8, input_shape=(4,)), keras.layers.Dense(1)])
"""
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor
from ..layers.layer import Layer
from ..layers.layer_utils import layer_path_scope
from .model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """Keras 3's `keras.Sequential(layers=None, trainable=True, name=None)`.

    >>> model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation='relu'), tf.keras.layers.Dense(1)])
    >>> model.output_shape
    (None, 1)
    >>> model.count_params()
    49
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._stack = []
        self._input_layer = None
        self._output_shapes = {}
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # -- structure ------------------------------------------------------------------------------
    @property
    def layers(self):
        """The layers, without the InputLayer."""
        return list(self._stack)

    def _direct_children(self):
        return list(self._stack), []

    def add(self, layer, rebuild=True):
        """Append `layer` (a Layer, or `keras.Input(...)` to set the input shape)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer)})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(f"Sequential model '{self.name}' has already been configured "
                                 f"to use input shape {self._input_layer.batch_shape if self._input_layer else None}. "
                                 "You cannot add a different Input layer to it.")
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._stack):
                raise ValueError("All layers added to a Sequential model should have unique "
                                 f"names. Name '{layer.name}' is already the name of a layer in "
                                 "this model. Update the `name` argument to pass a unique name.")
            if not self._stack and self._input_layer is None and \
                    getattr(layer, "_batch_input_shape", None) is not None:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape,
                                               dtype=layer.dtype)
            self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self.built = False
        self._output_shapes = {}
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        self.built = False
        if self._input_layer is not None and self._stack:
            self._build_from_input()

    def _build_from_input(self):
        x = self._input_layer.output
        shapes = {}
        self._set_path()
        with layer_path_scope(self):   # (the layers' paths are "sequential/dense", as Keras's)
            for layer in self._stack:
                x = layer(x)
                shapes[id(layer)] = getattr(x, "shape", None)
        self._output_shapes = shapes
        self._build_input_shape = tuple(self._input_layer.batch_shape)
        self.built = True

    def build(self, input_shape=None):
        """Build every layer for inputs of `input_shape` (batch dimension first)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
        else:
            shape = tuple(input_shape)
            if self._input_layer is None:
                self._input_layer = InputLayer(batch_shape=(None,) + shape[1:],
                                               dtype=self.compute_dtype)
        if not self._stack:
            self.built = True
            return
        self._build_from_input()

    def _run_build(self, input_shape):
        self._build_input_shape = input_shape
        if isinstance(input_shape, (list, tuple)) and input_shape and \
                isinstance(input_shape[0], (list, tuple)):
            self.built = True  # structured input: layers build on the first call
            return
        self.build(input_shape)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            kwargs = {}
            if training is not None:
                kwargs["training"] = training
            x = layer(x, **kwargs)
        return x

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape "
                                 "yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        if not self._stack or id(self._stack[-1]) not in self._output_shapes:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape "
                                 "yet.")
        return self._output_shapes[id(self._stack[-1])]

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def input(self):
        return self._input_layer.output if self._input_layer is not None else None

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    # -- configuration --------------------------------------------------------------------------
    def get_config(self):
        from ..saving.serialization import serialize_keras_object
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers += [serialize_keras_object(layer) for layer in self._stack]
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self.dtype_policy.serialize(), "layers": layers}
        if self.built and self._input_layer is not None:
            config["build_input_shape"] = tuple(self._input_layer.batch_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..saving.serialization import deserialize_keras_object
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(deserialize_keras_object(entry, custom_objects), rebuild=False)
        model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and isinstance(shape, (list, tuple)) and shape:
            model.build(shape)
        return model
