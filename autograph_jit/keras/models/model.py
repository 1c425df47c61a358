"""`keras.Model`: a Layer with training (`trainer.py`), saving and `summary()`.

`Model(inputs, outputs)` builds a functional model (`functional.py`); subclassing `Model` and
writing `call` gives a subclassed model whose sublayers are the layers assigned as attributes.

    class Linear(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(1)
        def call(self, x):
            return self.dense(x)
"""
import json

from ..layers.keras_tensor import KerasTensor, symbolic_call
from ... import nest
from ..layers.layer import Layer, _eager_scope, _shape_tuple, _shapes_of
from .trainer import Trainer

__all__ = ["Model"]


def _is_functional_args(args, kwargs):
    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    if len(args) >= 2:
        return True
    return len(args) == 1 and "outputs" in kwargs


def _is_functional(cls):
    return any(c.__name__ == "Functional" and c.__module__.endswith("models.functional")
               for c in cls.__mro__)


def _inject_functional(cls, functional):
    """Make `cls` (a Model subclass) a subclass of Functional: in the first class of its MRO
    whose bases name Model directly, Model becomes Functional (Keras 3's
    `inject_functional_model_class`)."""
    for klass in cls.__mro__:
        if Model in klass.__bases__:
            klass.__bases__ = tuple(functional if b is Model else b for b in klass.__bases__)
            return


class Model(Trainer, Layer):
    """Keras 3's `keras.Model`: `Model(inputs, outputs, name=None)` (functional) or a subclass
    defining `call` (see the module docstring).

    >>> inputs = tf.keras.Input((2,))
    >>> outputs = tf.keras.layers.Dense(1, kernel_initializer='ones')(inputs)
    >>> model = tf.keras.Model(inputs, outputs)
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> len(history.history['loss'])
    2
    >>> model.predict(np.ones((1, 2), np.float32), verbose=0).shape
    (1, 1)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _is_functional_args(args, kwargs):
            from .functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if _is_functional_args(args, kwargs) and not _is_functional(type(self)):
            # A subclass called as `CustomModel(inputs, outputs)` (the "customizing what
            # happens in fit" guide): as Keras 3 does, the subclass becomes a Functional one
            from .functional import Functional
            _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        if args or "inputs" in kwargs:
            raise TypeError("A subclassed Model takes only `name`, `trainable` and `dtype` in "
                            "`super().__init__()`, or `inputs` and `outputs` to be a "
                            "functional model.")
        Layer.__init__(self, trainable=kwargs.pop("trainable", True),
                       name=kwargs.pop("name", None), dtype=kwargs.pop("dtype", None), **kwargs)
        self._init_trainer()

    # -- structure ------------------------------------------------------------------------------
    @property
    def layers(self):
        """The model's direct sublayers, in the order they were assigned."""
        return self._direct_children()[0]

    def get_layer(self, name=None, index=None):
        """A sublayer by `name` or by `index` into `layers`."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def build(self, input_shape=None):
        """Build a subclassed model by running `call` on a symbolic input of `input_shape`."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        if isinstance(input_shape, (list, tuple)) and input_shape and all(
                isinstance(s, (list, tuple)) for s in input_shape):
            spec = [KerasTensor(tuple(s), dtype=self.compute_dtype) for s in input_shape]
        else:
            spec = KerasTensor(tuple(input_shape), dtype=self.compute_dtype)
        self.built = True  # (so the symbolic call below does not build again)
        symbolic_call(lambda x: self._traced_call((x,), {}), (spec,), {}, name=self.name)

    def _build_for_call(self, inputs):
        self._build_inputs = inputs
        try:
            self._run_build(_shapes_of(inputs))
        finally:
            self._build_inputs = None

    def _run_build(self, input_shape):
        self._build_input_shape = input_shape
        if getattr(type(self).build, "__wrapped__", None) is not \
                Model.__dict__["build"].__wrapped__:
            Layer._run_build(self, input_shape)
            return
        # The default build of a subclassed model, as Keras 3 does it: run `call` symbolically
        # (building the sublayers), then give every weight made there a fresh initial value
        # (Keras 3 draws initializers again when it initializes the symbolically made
        # variables, so seeded programs see the same draws here).
        self.built = True
        before = {id(v) for v in self.weights}
        try:
            inputs = getattr(self, "_build_inputs", None)
            spec = _nested_specs(input_shape, self.compute_dtype) if inputs is None else \
                nest.map_structure(lambda t: KerasTensor(_shape_tuple(t), dtype=t.dtype)
                                   if hasattr(t, "shape") and hasattr(t, "dtype") else t,
                                   inputs)
            symbolic_call(lambda x: self._traced_call((x,), {}), (spec,), {}, name=self.name)
        except Exception:
            return  # the sublayers build during the first real call instead (as in Keras)
        for v in self.weights:
            init = getattr(v, "_keras_initial_value", None)
            if id(v) not in before and init is not None:
                with _eager_scope():
                    v.assign(init())

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    # -- summary, config and saving -------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras 3's table of layers, output shapes and parameter counts."""
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (`keras.models.model_from_json`)."""
        from ..saving.serialization import serialize_keras_object
        return json.dumps(serialize_keras_object(self), default=_json_default, **kwargs)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture, weights and compile state as a `.keras` zip file."""
        from ..saving.keras_file import save_model
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves all layer weights (and the optimizer's state).

        A path ending in `.weights.h5` is written in Keras 3's HDF5 layout (needs h5py); any
        other path is a TF checkpoint prefix, as TF 2's Keras wrote it: `path.index` and
        `path.data-00000-of-00001` through `tf.train.Checkpoint` (see keras/saving/
        tf_checkpoint.py).

        >>> import tempfile, os
        >>> m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        >>> m.save_weights(os.path.join(tempfile.mkdtemp(), "ckpt"))
        """
        from ..saving import tf_checkpoint
        if tf_checkpoint.is_checkpoint_path(filepath):
            tf_checkpoint.save_weights(self, filepath, overwrite=overwrite)
            return
        from ..saving.weights_h5 import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights saved by `save_weights`: a `.weights.h5` file, a `.keras` file, or a
        TF checkpoint prefix (then returns the restore status, as TF 2's Keras did)."""
        from ..saving import tf_checkpoint
        if tf_checkpoint.is_checkpoint_path(filepath):
            return tf_checkpoint.load_weights(self, filepath)
        from ..saving.weights_h5 import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_compile_config(self):
        from ..saving.serialization import serialize_keras_object
        if not self.compiled:
            return None
        return {"optimizer": serialize_keras_object(self.optimizer),
                "loss": serialize_keras_object(self.loss),
                "metrics": serialize_keras_object(
                    self._compile_metrics._metrics_spec if self._compile_metrics else None),
                "loss_weights": self._compile_loss._loss_weights if self._compile_loss
                else None,
                "weighted_metrics": None, "run_eagerly": self._run_eagerly,
                "steps_per_execution": self.steps_per_execution,
                "jit_compile": self.jit_compile}

    def compile_from_config(self, config, custom_objects=None):
        from ..saving.serialization import deserialize_keras_object
        config = dict(config)
        for key in ("optimizer", "loss", "metrics"):
            if config.get(key) is not None:
                config[key] = deserialize_keras_object(config[key], custom_objects)
        self.compile(**config)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from .functional import functional_from_config
            return functional_from_config(cls, config, custom_objects)
        return super().from_config(config)


def _nested_specs(shape, dtype):
    if isinstance(shape, (list, tuple)) and shape and all(
            isinstance(s, (list, tuple)) or s is None for s in shape):
        return [None if s is None else KerasTensor(tuple(s), dtype=dtype) for s in shape]
    if isinstance(shape, dict):
        return {k: KerasTensor(tuple(s), dtype=dtype) for k, s in shape.items()}
    return KerasTensor(tuple(shape), dtype=dtype)


def _json_default(obj):
    import numpy as np
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
