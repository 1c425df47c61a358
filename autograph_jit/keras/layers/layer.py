"""`keras.layers.Layer`, the base class of every layer and model (Keras 3 semantics).

The contract concrete layers build on:

* `__init__(trainable=True, name=None, dtype=None, **kwargs)`: call `super().__init__(**kwargs)`
  first. `name` defaults to Keras auto-naming (`dense`, `dense_1`, ... reset by
  `keras.backend.clear_session()`); `input_shape=`/`input_dim=`/`batch_size=` are accepted (a
  Sequential uses them to make its Input); any other unknown keyword is a ValueError.
* `build(input_shape)`: create weights with `self.add_weight(shape, initializer, dtype,
  trainable, regularizer, constraint, name)` (initializer/regularizer/constraint are resolved by
  `keras.initializers.get`, `keras.regularizers.get`, `keras.constraints.get`). `input_shape` is a
  tuple with `None` for unknown dims (a structure of tuples for structured inputs). `built`
  becomes True when `build` returns, whether or not it calls `super().build`.
* `call(inputs, *args, training=None, mask=None)`: the computation, written with tf ops. `training`
  is passed only when `call` accepts it (explicit argument > the enclosing layer's value > the
  default in `call`'s signature); `mask` likewise, from the input's Keras mask.
* `__call__`: converts NumPy inputs to tensors, casts floating inputs to the layer's compute dtype,
  checks `self.input_spec`, builds on first call with the input's shape, calls `call`, and attaches
  `compute_mask`'s result when `supports_masking`. Called on `KerasTensor`s (the functional API) it
  records a `Node` and returns KerasTensors whose shapes come from tracing `call` symbolically
  (override `compute_output_shape` only for layers whose `call` cannot run on unknown dims).
* `weights` / `trainable_weights` / `non_trainable_weights` / `variables`: own weights in creation
  order, then sublayers' (attributes holding layers, or lists/dicts of layers, in assignment order).
* `add_loss(value)` / `losses`: losses added during the last outermost call, plus the weight
  regularizers' penalties (computed when `losses` is read).
* `get_config()` / `from_config(config)`: base keys `name`, `trainable`, `dtype`; subclasses
  `config.update(...)` their own arguments. Layers whose constructor arguments are plain values get
  a working `get_config` automatically (captured arguments, as Keras 3 does).

    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")
        def call(self, inputs):
            return tf.matmul(inputs, self.w)
"""
import functools
import inspect
import warnings

from ... import nest
from ...module import Module
from ...ops.array_ops import shape as _shape_of
from ...ops.math_ops import cast as _cast, divide_no_nan as _divide_no_nan
from ...tensor import Tensor
from .input_spec import assert_input_compatibility
from .keras_tensor import KerasTensor, Node, any_keras_tensor, symbolic_call
from .layer_utils import (  # noqa: F401  (get/set_keras_mask, ... are re-exported here)
    _POSITIONAL_ARGS, _DTypePolicy, _capture_init_arguments, _convert_inputs,
    _eager_build_context, _eager_scope, _is_shape, _is_tensor_like, _local, _resolve_dtype_name,
    _shape_tuple, _shapes_of, current_path, current_training, get_keras_mask, layer_path_scope,
    refine_output_shapes, reset_object_names, set_keras_mask, to_snake_case, unique_object_name)
from .layer_weights import WeightTracking
from .. import regularizers


__all__ = ["Layer", "get_keras_mask", "set_keras_mask", "unique_object_name",
           "reset_object_names", "current_training"]


class Layer(WeightTracking, Module):
    """Keras 3's `keras.layers.Layer(trainable=True, name=None, dtype=None, **kwargs)` (see the
    module docstring for the contract subclasses rely on).

    >>> class Scale(tf.keras.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer='ones')
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(tf.constant([[1.0, 2.0]])).numpy()
    array([[1., 2.]], dtype=float32)
    >>> [w.shape for w in layer.trainable_weights]
    [TensorShape([2])]
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self, *args, **kw):
                # (Keras 3's build wrapper: records the shape for get_build_config, sets path)
                if args or "input_shape" in kw:
                    self._build_input_shape = args[0] if args else kw["input_shape"]
                self._set_path()
                with _eager_build_context():
                    result = build(self, *args, **kw)
                self.built = True
                return result
            build_and_mark._marks_built = True
            cls.build = build_and_mark

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj._auto_config = _capture_init_arguments(cls, args, kwargs)
        return obj

    def __init__(self, trainable=True, name=None, dtype=None, autocast=True, input_dim=None,
                 input_shape=None, batch_input_shape=None, batch_size=None,
                 activity_regularizer=None, **kwargs):
        kwargs.pop("input_dtype", None)
        initial_weights = kwargs.pop("weights", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        if name is None:
            name = unique_object_name(to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name} (of type {type(name)})")
        self._set_name_unchecked(name)
        self.built = False
        self._trainable = bool(trainable)
        self._dtype_name = _resolve_dtype_name(dtype)
        self.autocast = autocast
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._regularizers = []
        self._losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._input_spec = None
        # (Keras 3's default: a layer that overrides compute_mask supports masking)
        self.supports_masking = getattr(self, "supports_masking",
                                        type(self).compute_mask is not Layer.compute_mask)
        self._path = None          # set when built (Keras 3's `layer.path`)
        if not hasattr(self, "_parent_path"):
            self._parent_path = None
        self._call_signature_cache = None
        self._initial_weights = initial_weights
        if activity_regularizer is not None:
            activity_regularizer = regularizers.get(activity_regularizer)
        self.activity_regularizer = activity_regularizer
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if input_shape is not None or batch_input_shape is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When "
                          "using Sequential models, prefer using an `Input(shape)` object as "
                          "the first layer in the model instead.", UserWarning, stacklevel=2)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None
        # Keras 3 keeps the name `_input_shape_arg` for what Sequential reads
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)

    # -- properties -----------------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        """The dtype of the layer's weights (a string, e.g. 'float32')."""
        return self._dtype_name

    @property
    def variable_dtype(self):
        return self._dtype_name

    @property
    def compute_dtype(self):
        return self._dtype_name

    @property
    def dtype_policy(self):
        return _DTypePolicy(self._dtype_name)

    @property
    def input_dtype(self):
        return self._dtype_name

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for layer in self._flatten_layers(include_self=False):
            layer._trainable = value

    @property
    def path(self):
        """Keras 3's path of the layer: the names of the layers it was built inside, then its
        own (`"sequential/dense"`); None until the layer is built."""
        return self._path

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec = value

    # -- sublayers and weights ------------------------------------------------------------------
    def build(self, input_shape=None):
        """Create the layer's weights for inputs of `input_shape` (the base marks it built)."""
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    def _run_build(self, input_shape):
        self._build_input_shape = input_shape
        self._set_path()
        with _eager_build_context():
            self.build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _build_for_call(self, inputs):
        self._run_build(_shapes_of(inputs))

    def _set_path(self):
        if self._path is None:
            parent = self._parent_path if self._parent_path is not None else current_path()
            self._path = f"{parent}/{self.name}" if parent else self.name

    def get_build_config(self):
        """Keras 3's `{"input_shape": shape}` the layer was built with (None if unbuilt)."""
        if getattr(self, "_build_input_shape", None) is None and not self.built:
            return None
        return {"input_shape": getattr(self, "_build_input_shape", None)}

    def build_from_config(self, config):
        """Build the layer from `get_build_config()`'s dict (`build(config["input_shape"])`)."""
        if not config:
            return
        if "input_shape" in config:
            self._build_input_shape = config["input_shape"]
            self._set_path()
            self.build(config["input_shape"])
        elif "shapes_dict" in config:
            self._set_path()
            self.build(**config["shapes_dict"])
        self.built = True

    def _call_signature(self):
        cache = self._call_signature_cache
        if cache is None:
            try:
                params = inspect.signature(self.call).parameters
            except (TypeError, ValueError):
                params = {}
            var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
            training_default = None
            if "training" in params:
                d = params["training"].default
                training_default = None if d is inspect.Parameter.empty else d
            cache = ("training" in params, "mask" in params, var_kw, training_default,
                     list(params))
            self._call_signature_cache = cache
        return cache

    def _resolve_call_kwargs(self, inputs, kwargs, explicit_training=None):
        """Fill `training` (explicit > enclosing call > call's default) and `mask` (from the
        inputs' Keras masks) when `call` accepts them; returns (kwargs, training)."""
        has_training, has_mask, _, training_default, _ = self._call_signature()
        kwargs = dict(kwargs)
        training = kwargs.get("training", explicit_training)
        if training is None:
            training = current_training()
        if training is None:
            training = training_default
        if has_training:
            kwargs["training"] = training
        if has_mask and kwargs.get("mask") is None:
            masks = [get_keras_mask(x) for x in nest.flatten(inputs)]
            if any(m is not None for m in masks):
                kwargs["mask"] = masks[0] if not nest.is_nested(inputs) else \
                    nest.pack_sequence_as(inputs, masks)
        return kwargs, training

    def __call__(self, *args, **kwargs):
        if not args and not kwargs:
            raise ValueError(f"Layer {self.name} was called without inputs.")
        args = list(args)
        if args:
            args[0] = _convert_inputs(args[0], self)
        elif "inputs" in kwargs:
            kwargs["inputs"] = _convert_inputs(kwargs["inputs"], self)
        inputs = args[0] if args else next(iter(kwargs.values()))
        if not (len(args) == 1 and isinstance(args[0], (Tensor, KerasTensor))):
            self._check_positional_args(args)
        explicit_training = None
        if not self._call_signature()[0]:
            explicit_training = kwargs.pop("training", None)
        with layer_path_scope(self):
            if any_keras_tensor((args, kwargs)):
                return self._symbolic_call(args, kwargs, inputs)
            return self._eager_call(args, kwargs, inputs, explicit_training)

    # True on the layers that take Python values positionally, as Keras 3's do: the data layers
    # (preprocessing, Rescaling), the op layers behind `x + 1.0`, functional models
    _allow_non_tensor_positional_args = False

    def _check_positional_args(self, args):
        """Keras 3 takes only tensors (or None) positionally; other values are keywords."""
        for arg in nest.flatten(args):
            if arg is None or _is_tensor_like(arg):
                continue
            if self._allow_non_tensor_positional_args:
                return
            raise ValueError("Only input tensors may be passed as positional arguments. The "
                             "following argument value should be passed as a keyword argument: "
                             f"{arg} (of type {type(arg)})")

    def _eager_call(self, args, kwargs, inputs, explicit_training):
        assert_input_compatibility(self.input_spec, inputs, self.name)
        stack = getattr(_local, "calls", None)
        if stack is None:
            stack = _local.calls = []
        if not stack:
            for layer in self._flatten_layers():
                layer._losses = []
        if not self.built:
            self._build_for_call(inputs)
        kwargs, training = self._resolve_call_kwargs(inputs, kwargs, explicit_training)
        stack.append((self, training))
        try:
            outputs = self.call(*args, **kwargs)
        finally:
            stack.pop()
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        refine_output_shapes(self, inputs, outputs)
        self._set_output_masks(inputs, outputs, kwargs.get("mask"))
        return outputs

    def _add_activity_losses(self, outputs):
        """The activity regularizer's penalty of each output, divided by the batch size (as
        Keras 3 does, so the strength does not depend on the batch size)."""
        for out in nest.flatten(outputs):
            if isinstance(out, Tensor):
                loss = self.activity_regularizer(out)
                if out.shape.rank:
                    loss = _divide_no_nan(loss, _cast(_shape_of(out)[0], loss.dtype))
                self.add_loss(loss)

    def _set_output_masks(self, inputs, outputs, previous_mask):
        if not self.supports_masking and type(self).compute_mask is Layer.compute_mask:
            return
        if previous_mask is None:
            masks = [get_keras_mask(x) for x in nest.flatten(inputs)]
            previous_mask = None if all(m is None for m in masks) else (
                masks[0] if not nest.is_nested(inputs) else nest.pack_sequence_as(inputs, masks))
        output_mask = self.compute_mask(inputs, previous_mask)
        if output_mask is None:
            return
        flat_out = nest.flatten(outputs)
        flat_masks = nest.flatten(output_mask) if nest.is_nested(output_mask) else \
            [output_mask] * len(flat_out)
        for out, m in zip(flat_out, flat_masks):
            if out is not None and m is not None:
                set_keras_mask(out, m)

    def _symbolic_call(self, args, kwargs, inputs):
        assert_input_compatibility(self.input_spec, inputs, self.name)
        if not self.built:
            self._run_build(_shapes_of(inputs))
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors for the outputs of `call` on KerasTensor arguments (by tracing `call`;
        a layer whose `call` cannot be traced on unknown dims may override
        `compute_output_shape` instead)."""
        def run(*a, **k):
            return self._traced_call(a, k)
        try:
            return symbolic_call(run, args, kwargs, name=self.name)
        except Exception:
            if type(self).compute_output_shape is Layer.compute_output_shape:
                raise
            inputs = args[0] if args else next(iter(kwargs.values()))
            shape = self.compute_output_shape(_shapes_of(inputs))
            if not _is_shape(shape):
                raise
            return KerasTensor(shape, dtype=self.compute_dtype)

    def _traced_call(self, args, kwargs):
        stack = getattr(_local, "calls", None)
        if stack is None:
            stack = _local.calls = []
        inputs = args[0] if args else next(iter(kwargs.values()))
        kwargs, training = self._resolve_call_kwargs(inputs, kwargs)
        stack.append((self, training))
        try:
            outputs = self.call(*args, **kwargs)
        finally:
            stack.pop()
        refine_output_shapes(self, inputs, outputs)
        self._set_output_masks(inputs, outputs, kwargs.get("mask"))
        return outputs

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape` (by default: trace `call` symbolically)."""
        def spec(shape):
            return KerasTensor(shape, dtype=self.compute_dtype)
        if isinstance(input_shape, (list, tuple)) and input_shape and all(
                isinstance(s, (list, tuple)) for s in input_shape):
            inputs = [spec(s) for s in input_shape]
        else:
            inputs = spec(input_shape)
        was_built = self.built
        if not was_built:
            self._run_build(input_shape)
        out = symbolic_call(lambda x: self._traced_call((x,), {}), (inputs,), {},
                            name=self.name)
        return nest.map_structure(lambda t: t.shape, out)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the outputs: the input mask when `supports_masking`, else None."""
        if not self.supports_masking:
            return None
        return previous_mask

    # -- losses ---------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss (a tensor or a zero-argument callable) from inside `call`."""
        if callable(loss) and not isinstance(loss, Tensor):
            loss = loss()
        self._losses.append(loss)

    @property
    def losses(self):
        """Losses added in the last call, then the weight regularization penalties."""
        out = []
        layers = self._flatten_layers()
        for layer in layers:
            out.extend(layer._losses)
        for layer in layers:
            for var, reg in layer._regularizers:
                out.append(reg(var))
        return out

    # -- configuration --------------------------------------------------------------------------
    def get_config(self):
        """Keras 3's base config: name, trainable, dtype (and activity_regularizer when set).
        A subclass that does not override get_config gets its constructor's arguments too
        (captured when they are plain str/int/float/bool/None values, as Keras 3 does)."""
        config = {"name": self.name}
        if type(self).get_config is Layer.get_config and type(self) is not Layer:
            config.update(self._automatic_config())
            params = inspect.signature(type(self).__init__).parameters
            if "name" not in params and not ("kwargs" in params and params["kwargs"].kind ==
                                             inspect.Parameter.VAR_KEYWORD):
                config.pop("name")  # (`__init__` could not take it back)
        config.update(trainable=self.trainable,
                      dtype=_DTypePolicy(self._dtype_name).serialize())
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _automatic_config(self):
        auto = self._auto_config
        example = ("class CustomLayer(keras.layers.Layer):\n"
                   "    def __init__(self, arg1, arg2, **kwargs):\n"
                   "        super().__init__(**kwargs)\n"
                   "        self.arg1 = arg1\n        self.arg2 = arg2\n\n"
                   "    def get_config(self):\n"
                   "        config = super().get_config()\n"
                   "        config.update({\"arg1\": self.arg1, \"arg2\": self.arg2})\n"
                   "        return config")
        if auto == _POSITIONAL_ARGS:
            raise NotImplementedError(
                f"Object {type(self).__name__} was created by passing positional only or "
                "variadic positional arguments (e.g., `*args`) to `__init__()`, which is not "
                "supported by the automatic config generation. Please remove all positional "
                "only and variadic arguments from `__init__()` or override `get_config()` and "
                f"`from_config()` to make the object serializable.\n\nExample:\n\n{example}")
        if auto is None:
            raise NotImplementedError(
                f"Object {type(self).__name__} was created by passing non-serializable argument "
                "values in `__init__()`, and therefore the object must override `get_config()` "
                f"in order to be serializable. Please implement `get_config()`.\n\nExample:"
                f"\n\n{example}")
        return dict(auto)

    @classmethod
    def from_config(cls, config):
        """A new layer from `get_config()`'s dict."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
        try:
            return cls(**config)
        except Exception as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config="
                            f"{config}.\n\nException encountered: {e}") from e

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # -- functional API introspection -----------------------------------------------------------
    def _node_value(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes: it was never called "
                                 f"on a symbolic input, so its {what} is undefined.")
        node = self._inbound_nodes[0]
        if attr == "input":
            values = node.input_tensors
            return values[0] if len(values) == 1 else values
        return node.outputs

    @property
    def input(self):
        return self._node_value("input", "input")

    @property
    def output(self):
        return self._node_value("output", "output")


