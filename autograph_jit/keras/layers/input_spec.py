"""`keras.InputSpec` and the check every `Layer.__call__` runs on its inputs against a layer's
`input_spec` (rank, dtype, exact or per-axis shape), raising Keras 3's ValueError texts."""
from ... import nest

__all__ = ["InputSpec", "assert_input_compatibility"]


class InputSpec:
    """Keras 3's `keras.InputSpec(dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
    axes=None, allow_last_axis_squeeze=False, name=None, optional=False)`.

    Set on a layer as `self.input_spec = InputSpec(min_ndim=2, axes={-1: 16})`; `Layer.__call__`
    then checks every call's inputs, e.g. `InputSpec(ndim=4)` rejects a rank-3 input.

    >>> spec = tf.keras.InputSpec(ndim=2)
    >>> spec.ndim
    2
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = None if dtype is None else _dtype_name(dtype)
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError("Argument `axes` must be a dict with integer keys. "
                            f"Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed "
                                 f"value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "",
                f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "",
                f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _dtype_name(dtype):
    return getattr(dtype, "name", str(dtype))


def _shape_of(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    if hasattr(shape, "as_list"):
        if shape.rank is None:
            return None
        return tuple(shape.as_list())
    return tuple(shape)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise ValueError when `inputs` (a tensor or structure) do not satisfy `input_spec`."""
    if not input_spec:
        return
    input_spec = nest.flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in input_spec]
        if all(names):
            inputs = [inputs.get(name) for name in names]
    inputs = nest.flatten(inputs)
    if len(inputs) != len(input_spec):
        raise ValueError(f'Layer "{layer_name}" expects {len(input_spec)} input(s), but it '
                         f"received {len(inputs)} input tensors. Inputs received: {inputs}")
    for input_index, (x, spec) in enumerate(zip(inputs, input_spec)):
        if spec is None:
            continue
        if x is None:
            if spec.optional:
                continue
            raise ValueError(f'Layer "{layer_name}" input {input_index} is None, but the layer '
                             "requires it.")
        shape = _shape_of(x)
        if shape is None:
            continue
        ndim = len(shape)
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible with '
                             f"the layer: expected ndim={spec.ndim}, found ndim={ndim}. Full "
                             f"shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible with '
                             f"the layer: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible with '
                             f"the layer: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.dtype is not None:
            dtype = _dtype_name(getattr(x, "dtype", None))
            if dtype != spec.dtype:
                raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible '
                                 f"with the layer: expected dtype={spec.dtype}, found "
                                 f"dtype={dtype}")
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if axis >= ndim or axis < -ndim:
                raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible '
                                 f"with the layer: expected axis {axis} of input shape to have "
                                 f"value {value}, but received input with shape {shape}")
            if shape[axis] is not None and shape[axis] != value:
                raise ValueError(f'Input {input_index} of layer "{layer_name}" is incompatible '
                                 f"with the layer: expected axis {axis} of input shape to have "
                                 f"value {value}, but received input with shape {shape}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if shape and shape[-1] == 1:
                    shape = shape[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for spec_dim, dim in zip(spec_shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f'Input {input_index} of layer "{layer_name}" is '
                                     f"incompatible with the layer: expected "
                                     f"shape={spec.shape}, found shape={shape}")
