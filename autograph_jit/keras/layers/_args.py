"""Argument normalization shared by the concrete layers (Keras's `standardize_tuple`,
`standardize_padding`, `standardize_data_format`), Keras's check that a window leaves an
output, and config serialization helpers."""
import numpy as np

from ...ops import array_ops as A
from ...ops import math_ops as M
from .. import activations, constraints, initializers, regularizers, backend


def normalize_tuple(value, n, name, allow_zero=False):
    """An int or an iterable of n ints -> a tuple of n ints (each >= 1, or >= 0 if allowed)."""
    if isinstance(value, int):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value}") from None
        if len(out) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value}")
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers >= {low}. "
                         f"Received {name}={value}")
    return out


def normalize_padding(value, allowed=("valid", "same")):
    """'VALID'/'same'/... -> the lower-case name, checked against `allowed`."""
    padding = str(value).lower()
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {list(allowed)}. Received: "
                         f"padding={value}")
    return padding


def normalize_data_format(value):
    """None -> keras.backend.image_data_format(); else 'channels_first' or 'channels_last'."""
    if value is None:
        value = backend.image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={value}")
    return data_format


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Keras's conv output length along one axis (None stays None)."""
    if length is None:
        return None
    k = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = length
    else:
        out = length - k + 1
    return (out + stride - 1) // stride if out > 0 else 0


def output_would_vanish(lengths, windows, strides, padding, dilations=None):
    """True when a 'valid' window leaves no output along some axis of known length (Keras's
    "Computed output size would be zero or negative"); 'same'/'causal' never do."""
    if padding != "valid":
        return False
    dilations = dilations or (1,) * len(windows)
    return any(n is not None and (n - (k - 1) * d - 1) // s + 1 <= 0
               for n, k, s, d in zip(lengths, windows, strides, dilations, strict=True))


def conv_size_error(input_shape, kernel_shape, dilation_rate, strides, padding):
    """Keras 3's ValueError for a convolution whose output would be empty."""
    return ValueError(f"Computed output size would be zero or negative. Received `inputs "
                      f"shape={tuple(input_shape)}`, `kernel shape={tuple(kernel_shape)}`, "
                      f"`dilation_rate={np.array(dilation_rate)}`, `strides={tuple(strides)}`, "
                      f"`padding={padding}`.")


def pool_size_error(input_shape, pool_size, strides, padding):
    """Keras 3's ValueError for a pooling whose output would be empty."""
    return ValueError(f"Computed output size would be zero or negative. Received: "
                      f"`inputs.shape={np.array(list(input_shape), dtype=object)}`, "
                      f"`pool_size={np.array(pool_size)}`, `strides={tuple(strides)}`, "
                      f"`padding={padding}`.")


def spatial_axes(rank, data_format):
    """The spatial axes of a rank-`rank` convolution's input in `data_format`."""
    return list(range(1, rank + 1)) if data_format == "channels_last" else \
        list(range(2, rank + 2))


def ser(kind, value):
    """Keras 3's config entry for an initializer/regularizer/constraint/activation argument."""
    if value is None:
        return None
    module = {"initializer": initializers, "regularizer": regularizers,
              "constraint": constraints}.get(kind)
    if kind == "activation":
        return activations.serialize(value)
    if hasattr(value, "get_config"):
        return module.serialize(value)
    return getattr(value, "__name__", value)


def last_axis_matmul(x, kernel):
    """x[..., k] @ kernel[k, n] for x of any rank >= 2."""
    rank = x.shape.rank
    if rank == 2:
        return M.matmul(x, kernel)
    outer = None if rank is None else x.shape.as_list()[:-1]
    if outer is not None and sum(d is None for d in outer) <= 1:
        y = M.matmul(A.reshape(x, [-1, kernel.shape[0]]), kernel)
        return A.reshape(y, [-1 if d is None else d for d in outer] + [kernel.shape[-1]])
    return M.matmul(x, kernel)  # batch dims broadcast; keeps the static dims


_OPTION_KINDS = (("initializer", initializers), ("regularizer", regularizers),
                 ("constraint", constraints))


def set_weight_options(layer, **weights):
    """Store each weight's `(initializer, regularizer, constraint)` arguments on `layer`,
    resolved, as `<weight>_initializer`, `<weight>_regularizer`, `<weight>_constraint`.

    Example: `set_weight_options(self, kernel=(kernel_initializer, kernel_regularizer,
    kernel_constraint))`.
    """
    for weight, options in weights.items():
        for (kind, module), value in zip(_OPTION_KINDS, options, strict=True):
            setattr(layer, f"{weight}_{kind}", module.get(value))


def weight_options_config(layer, *weights, activity=False):
    """Keras 3's config entries for the options `set_weight_options` stored, in Keras's order:
    every weight's initializer, then the regularizers (and, with `activity`, the layer's
    `activity_regularizer`, as Keras's Conv, RNN and Embedding configs have it), then the
    constraints."""
    config = {}
    for kind, _ in _OPTION_KINDS:
        for weight in weights:
            config[f"{weight}_{kind}"] = ser(kind, getattr(layer, f"{weight}_{kind}"))
        if kind == "regularizer" and activity:
            config["activity_regularizer"] = ser("regularizer", layer.activity_regularizer)
    return config


def add_optioned_weight(layer, weight, shape, name=None, **kwargs):
    """`layer.add_weight` with the options `set_weight_options` stored for `weight`, named
    `name` (default: `weight`)."""
    return layer.add_weight(shape=shape, name=name or weight,
                            initializer=getattr(layer, f"{weight}_initializer"),
                            regularizer=getattr(layer, f"{weight}_regularizer"),
                            constraint=getattr(layer, f"{weight}_constraint"), **kwargs)

