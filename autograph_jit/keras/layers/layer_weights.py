"""Weight tracking for Layer (a mixin): sublayers and tf.Variables found in attributes (in
assignment order), `weights`/`trainable_weights`/`non_trainable_weights`, `get_weights`/
`set_weights`/`count_params`, and `add_weight` (initializer, regularizer, constraint)."""
import numpy as np

from ... import dtypes as _dtypes
from ...variables import Variable
from ...name_scopes import absolute_scope
from .layer_utils import _UNTRACKED, _eager_scope, _resolve_dtype_name
from .. import constraints, initializers, regularizers

__all__ = ["WeightTracking"]

_ATOMS = frozenset({str, int, float, bool, type(None)})  # attribute values holding no weights


class WeightTracking:
    """The weight-related half of `keras.layers.Layer` (see layer.py for the contract)."""

    def _direct_children(self):
        """Sublayers and directly assigned tf.Variables, in attribute assignment order."""
        layers, variables = [], []
        seen = set()

        def visit(value, depth=0):
            if isinstance(value, WeightTracking):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    layers.append(value)
            elif isinstance(value, Variable):
                if id(value) not in seen:
                    seen.add(id(value))
                    variables.append(value)
            elif isinstance(value, (list, tuple)) and depth < 4:
                for v in value:
                    visit(v, depth + 1)
            elif isinstance(value, dict) and depth < 4:
                for v in value.values():
                    visit(v, depth + 1)

        for key, value in vars(self).items():
            if type(value) in _ATOMS or key in _UNTRACKED or key == "_self_setattr_tracking":
                continue
            visit(value)
        return layers, variables

    def _flatten_layers(self, include_self=True, recursive=True):
        out = [self] if include_self else []
        seen = {id(self)}
        stack = list(reversed(self._direct_children()[0]))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            if recursive:
                stack.extend(reversed(layer._direct_children()[0]))
        return out

    def _own_weights(self):
        own = list(self._trainable_weights) + list(self._non_trainable_weights)
        ids = {id(v) for v in own}
        extra = [v for v in self._direct_children()[1] if id(v) not in ids]
        return own, extra

    def _gather(self, pick):
        out, seen = [], set()
        for layer in self._flatten_layers():
            for v in pick(layer):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def weights(self):
        """All weights: own (trainable and non-trainable, in creation order), then sublayers'."""
        def pick(layer):
            own, extra = layer._own_weights()
            return own + extra
        return self._gather(pick)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []

        def pick(layer):
            if not layer.trainable:
                return []
            own, extra = layer._own_weights()
            return [v for v in own + extra if v.trainable]
        return self._gather(pick)

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    def get_weights(self):
        """The weights' values as a list of NumPy arrays."""
        return [np.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights):
        """Assign a list of NumPy arrays (same count and shapes as `get_weights()`)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was expecting "
                             f"{len(params)} weights.")
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(v.shape) != w.shape:
                raise ValueError(f"Layer {self.name} weight shape {tuple(v.shape)} is not "
                                 f"compatible with provided weight shape {w.shape}.")
        for v, w in zip(params, weights):
            v.assign(np.asarray(w, dtype=v.dtype.np_dtype))

    def count_params(self):
        """Total number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             "layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(int(np.prod(v.shape.as_list())) for v in self.weights))

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a weight (a `tf.Variable`) owned by this layer.

        Args: `shape` (default `()`), `initializer` (name, Initializer or callable
        `(shape, dtype)`; default 'glorot_uniform' for floats, 'zeros' otherwise), `dtype`
        (default the layer's), `trainable`, `regularizer`, `constraint`, `name`.
        Example: `self.w = self.add_weight(shape=(4, 2), initializer="zeros", name="w")`.
        """
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = _resolve_dtype_name(dtype or self._dtype_name)
        if initializer is None:
            initializer = "glorot_uniform" if _dtypes.as_dtype(dtype).is_floating else "zeros"
        init = initializers.get(initializer)
        np_dtype = _dtypes.as_dtype(dtype).np_dtype

        def initial_value():
            with _eager_scope():
                value = init(shape, dtype=dtype)
                value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
                value = np.asarray(value).astype(np_dtype)
            if value.shape != shape:
                value = np.broadcast_to(value, shape).copy()
            return value
        value = initial_value()
        with absolute_scope(self._scope_name):
            var = Variable(value, trainable=trainable, name=name or "variable", dtype=dtype)
        var._keras_initial_value = initial_value
        var.path = f"{self._scope_name}{name or 'variable'}"  # Keras 3's `variable.path`
        constraint = constraints.get(constraint)
        if constraint is not None:
            var.constraint = constraint
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            var.regularizer = regularizer
            self._regularizers.append((var, regularizer))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras 3's alias of `add_weight` (initializer required)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    # -- the layer's own state in a weights file (Keras 3's store of `"0"`, `"1"`, ...) --------
    def save_own_variables(self, store):
        """Put the layer's own variables (trainable, then non-trainable; not sublayers') into
        the dict-like `store` under the keys "0", "1", ... (what `model.save()` writes)."""
        for i, v in enumerate(self._trainable_weights + self._non_trainable_weights):
            store[f"{i}"] = v

    def load_own_variables(self, store):
        """Assign the layer's own variables from `store` as `save_own_variables` wrote it."""
        own = self._trainable_weights + self._non_trainable_weights
        if len(store.keys()) != len(own):
            if not own and not self.built:
                raise ValueError(
                    f"Layer '{self.name}' was never built and thus it doesn't have any "
                    f"variables. However the weights file lists {len(store.keys())} variables "
                    "for this layer.\nIn most cases, this error indicates that either:\n\n"
                    "1. The layer is owned by a parent layer that implements a `build()` "
                    "method, but calling the parent's `build()` method did NOT create the state "
                    f"of the child layer '{self.name}'. A `build()` method must create ALL "
                    "state for the layer, including the state of any children layers.\n\n"
                    "2. You need to implement the `def build_from_config(self, config)` method "
                    f"on layer '{self.name}', to specify how to rebuild it during loading. In "
                    "this case, you might also want to implement the method that generates the "
                    "build config at saving time, `def get_build_config(self)`. The method "
                    "`build_from_config()` is meant to create the state of the layer (i.e. its "
                    "variables) upon deserialization.")
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: "
                             f"{[_short_name(v) for v in own]}")
        for i, v in enumerate(own):
            value = store[f"{i}"]
            v.assign(np.asarray(value.numpy() if hasattr(value, "numpy") else value,
                                dtype=v.dtype.np_dtype))


def _short_name(variable):
    """Keras 3's `variable.name` (the last part of the path, no `:0`)."""
    return variable.name.split("/")[-1].split(":")[0]
