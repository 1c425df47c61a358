"""`keras.layers.EinsumDense` (Keras 3): a dense layer whose contraction is an einsum equation
(`"abc,cd->abd"`), with the kernel's and bias's shapes read off the equation, the input shape
and the partial `output_shape`. MultiHeadAttention's projections are EinsumDense layers."""
import re

import numpy as np

from ... import dtypes as _dtypes
from ...ops import math_ops as M
from ...ops.einsum_ops import einsum
from .. import activations, initializers
from ._args import ser, set_weight_options, weight_options_config
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["EinsumDense", "analyze_einsum_string"]


def _split(equation):
    """(input_spec, weight_spec, output_spec, elided side: None | 'left' | 'right')."""
    eq = equation.replace(" ", "").replace("...", "0")
    for pattern, side in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", "left"),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", "right")):
        match = re.match(pattern, eq)
        if match:
            return match.group(1), match.group(2), match.group(3), side
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """Keras's shape analysis of an EinsumDense equation.

    Returns:
      (kernel_shape, bias_shape or None, full_output_shape, kernel input axes, kernel output
      axes): the kernel axes that contract with the input, and those that reach the output.

    >>> tf.keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8)).compute_output_shape(
    ...     (2, 5, 4))
    (2, 5, 8)
    """
    input_spec, weight_spec, output_spec, side = _split(equation)
    input_shape = tuple(input_shape)
    left = side == "left"
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d in out_map:
            o = out[out_map[d]]
            if o is not None and o != input_shape[in_map[d]]:
                raise ValueError(f"Input shape and output shape do not match at shared dimension "
                                 f"'{d}'. Input shape is {input_shape[in_map[d]]}, and output "
                                 f"shape is {o}.")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"Dimension '{d}' was specified in the output '{output_spec}' but "
                             f"has no corresponding dim in the input spec '{input_spec}' or "
                             f"weight spec '{weight_spec}'")
    kernel, in_axes, out_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in out_map:
            kernel.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{d}' did not have a match in either the input "
                             f"spec '{input_spec}' or the output spec '{output_spec}'. For this "
                             "layer, the weight must be fully specified.")
    bias = None
    if bias_axes is not None:
        offset = elided if left else 0
        sizes = {c: out[i + offset] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the "
                                 f"output spec '{output_spec}'")
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left:
            bias.extend([1] * elided)
    return kernel, bias, tuple(out), in_axes, out_axes


class _AxesInitializer:
    """A VarianceScaling initializer whose fans are the kernel's input and output axes (Keras 3
    gives EinsumDense's initializer `input_axes`/`output_axes`): it draws a
    (fan_in, fan_out) matrix and lays it out in the kernel's shape."""

    def __init__(self, init, in_axes, out_axes):
        self.init, self.in_axes, self.out_axes = init, in_axes, out_axes

    def __call__(self, shape, dtype=None):
        fan_in = int(np.prod([shape[i] for i in self.in_axes])) if self.in_axes else 1
        fan_out = int(np.prod([shape[i] for i in self.out_axes])) if self.out_axes else 1
        value = self.init((fan_in, fan_out), dtype=dtype)
        value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        return np.reshape(value, shape)


class EinsumDense(Layer):
    """A dense layer of any rank: `einsum(equation, inputs, kernel) + bias`, then `activation`.

    Args: `equation` (`"ab,bc->ac"` is Dense; `"...b,bc->...c"` and `"ab...,bc->ac..."` elide
    dims), `output_shape` (the output's shape without the batch dim; None for dims that come
    from the input), `activation=None`, `bias_axes=None` (the output letters a bias is added
    along), `kernel_initializer='glorot_uniform'`, `bias_initializer='zeros'`, the kernel's and
    bias's regularizers and constraints. Weights: `kernel`, then `bias`.

    >>> layer = tf.keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3),
    ...                                     bias_axes="de")
    >>> layer(tf.ones([4, 5, 6])).shape
    TensorShape([4, 5, 2, 3])
    >>> [tuple(w.shape) for w in layer.weights]
    [(6, 2, 3), (2, 3)]
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        super().__init__(**kwargs)
        if lora_rank is not None or quantization_config is not None:
            raise ValueError("EinsumDense(lora_rank=..., quantization_config=...) are not "
                             "supported; leave them None")
        _split(equation)
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else \
            tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        set_weight_options(
            self, kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))

    def build(self, input_shape):
        kernel_shape, bias_shape, self.full_output_shape, in_axes, out_axes = \
            analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                  self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense layer {self.name}: the kernel shape {kernel_shape} "
                             f"has unknown dims for input shape {tuple(input_shape)}; the input "
                             "dims the kernel contracts must be known")
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling):
            init = _AxesInitializer(init, in_axes, out_axes)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(shape=kernel_shape, name="kernel", initializer=init,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None if bias_shape is None else self.add_weight(
            shape=bias_shape, name="bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        kernel = self.kernel
        if kernel.dtype != inputs.dtype and _dtypes.as_dtype(inputs.dtype).is_floating:
            kernel = M.cast(kernel, inputs.dtype)
        x = einsum(self.equation, inputs, kernel)
        if self.bias is not None:
            x = M.add(x, M.cast(self.bias, x.dtype))
        return self.activation(x) if self.activation is not None else x

    def compute_output_shape(self, input_shape):
        return analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                     self.partial_output_shape)[2]

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape, "equation": self.equation,
            "activation": ser("activation", self.activation), "bias_axes": self.bias_axes,
            **weight_options_config(self, "kernel", "bias")})
        config["activity_regularizer"] = ser("regularizer", self.activity_regularizer)
        config["quantization_config"] = None
        return config
