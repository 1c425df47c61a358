"""Convolution layers (Keras 3): Conv1D, Conv2D (strides, padding 'valid'/'same' (+ 'causal' for
Conv1D), dilation_rate, groups) and Conv1DTranspose/Conv2DTranspose, composed from `tf.nn.conv2d`
and `tf.nn.conv2d_transpose` (1-D convolutions run as 2-D ones on a height-1 image), so they
differentiate and compile natively. Kernels are (*kernel_size, in_channels // groups, filters);
transposed kernels are (*kernel_size, filters, in_channels), as in Keras.
"""
from ...ops import array_ops as A
from ...ops import conv_ops as C
from ...ops import nn_ops as N
from .. import activations
from ._args import (add_optioned_weight, conv_output_length, conv_size_error,
                    normalize_data_format, normalize_padding, normalize_tuple,
                    output_would_vanish, ser, set_weight_options, spatial_axes,
                    weight_options_config)
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "BaseConv"]


def to_nhwc(x, rank, data_format):
    """(B, ..., C) 4-D NHWC view of a rank-1/2 spatial input in either data format."""
    if data_format == "channels_first":
        perm = [0] + list(range(2, rank + 2)) + [1]
        x = A.transpose(x, perm)
    if rank == 1:
        x = A.expand_dims(x, 1)
    return x


def from_nhwc(y, rank, data_format):
    """The inverse of `to_nhwc`: back to the layer's rank and data format."""
    if rank == 1:
        y = A.squeeze(y, [1])
    if data_format == "channels_first":
        perm = [0, rank + 1] + list(range(1, rank + 1))
        y = A.transpose(y, perm)
    return y


class BaseConv(Layer):
    """Shared arguments, weights and config of the convolution layers."""

    _RANK = 2
    _TRANSPOSE = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self._RANK
        if filters is not None and (not isinstance(filters, int) or filters <= 0):
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = filters
        self.groups = groups or 1
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if rank == 1 and not self._TRANSPOSE else \
            ("valid", "same")
        self.padding = normalize_padding(padding, allowed)
        self.data_format = normalize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(
            self, kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.input_spec = InputSpec(min_ndim=rank + 2)
        if filters is not None and filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={self.groups}, filters={filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _in_channels(self, input_shape):
        c = input_shape[self._channel_axis()]
        if c is None:
            raise ValueError(f"Layer {self.name}: the channel dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        return c

    def build(self, input_shape):
        if len(input_shape) != self._RANK + 2:
            raise ValueError(f"Input {0} of layer \"{self.name}\" is incompatible with the "
                             f"layer: expected ndim={self._RANK + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")
        c = self._in_channels(input_shape)
        if c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (full input shape is {tuple(input_shape)}).")
        self.kernel = add_optioned_weight(self, "kernel", self._kernel_shape(c))
        self.bias = add_optioned_weight(self, "bias", (self.filters,)) \
            if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=self._RANK + 2,
                                    axes={self._channel_axis(): c})

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels // self.groups, self.filters)

    def _finish(self, y):
        """Bias, back to the layer's data format, activation."""
        if self.bias is not None:
            y = N.bias_add(y, self.bias)
        return self.activation(from_nhwc(y, self._RANK, self.data_format))

    def _nhwc_args(self):
        """(kernel, strides, dilations) as 2-D NHWC arguments."""
        kernel = self.kernel
        strides, dilations = self.strides, self.dilation_rate
        if self._RANK == 1:
            kernel = A.expand_dims(kernel, 0)
            strides, dilations = (1,) + strides, (1,) + dilations
        return kernel, strides, dilations

    def _check_output_size(self, input_shape):
        """Keras's ValueError when a 'valid' kernel is larger than a known input length."""
        lengths = [input_shape[a] for a in spatial_axes(self._RANK, self.data_format)]
        if output_would_vanish(lengths, self.kernel_size, self.strides, self.padding,
                               self.dilation_rate):
            c = input_shape[self._channel_axis()]
            kernel = self.kernel_size + (None, self.filters) if c is None else \
                self._kernel_shape(c)
            raise conv_size_error(input_shape, kernel, self.dilation_rate, self.strides,
                                  self.padding)

    def call(self, inputs):
        self._check_output_size(tuple(inputs.shape.as_list()))
        x = to_nhwc(inputs, self._RANK, self.data_format)
        kernel, strides, dilations = self._nhwc_args()
        padding = self.padding.upper()
        if self.padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            padding = [[0, 0], [0, 0], [left, 0], [0, 0]]
        if self.groups == 1:
            y = C.conv2d(x, kernel, strides, padding, dilations=dilations)
        else:
            xs = _split(x, self.groups)
            ks = _split(kernel, self.groups)
            y = A.concat([C.conv2d(xi, ki, strides, padding, dilations=dilations)
                          for xi, ki in zip(xs, ks)], axis=-1)
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        self._check_output_size(tuple(input_shape))
        spatial = spatial_axes(self._RANK, self.data_format)
        out = list(input_shape)
        for i, axis in enumerate(spatial):
            out[axis] = conv_output_length(input_shape[axis], self.kernel_size[i], self.padding,
                                           self.strides[i], self.dilation_rate[i])
        out[self._channel_axis()] = self.filters
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # Keras 3 lists it with the weights' options
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "groups": self.groups,
            "activation": ser("activation", self.activation), "use_bias": self.use_bias,
            **weight_options_config(self, "kernel", "bias", activity=True)})
        return config


def _split(x, groups):
    """`groups` equal slices of the last axis."""
    size = x.shape[-1] // groups
    return [x[..., g * size:(g + 1) * size] for g in range(groups)]


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels): `Conv1D(filters, kernel_size, strides=1,
    padding='valid'|'same'|'causal', dilation_rate=1, groups=1, activation=None, ...)`.

    >>> layer = tf.keras.layers.Conv1D(filters=4, kernel_size=3)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 3, 4])
    """
    _RANK = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over images: `Conv2D(filters, kernel_size, strides=(1, 1),
    padding='valid'|'same', data_format=None, dilation_rate=(1, 1), groups=1, activation=None,
    use_bias=True, ...)`. Weights `kernel` (kh, kw, in // groups, filters) and `bias`.

    Example: `Conv2D(16, 3, activation="relu")(tf.ones((1, 28, 28, 1))).shape` is (1, 26, 26, 16).

    >>> layer = tf.keras.layers.Conv2D(filters=8, kernel_size=3, padding='same')
    >>> layer(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 6, 6, 8])
    """
    _RANK = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


def deconv_output_length(length, kernel, padding, output_padding, stride, dilation):
    """Keras's transposed-convolution output length along one axis."""
    if length is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        return length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


class _ConvTranspose(BaseConv):
    _TRANSPOSE = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(output_padding, self._RANK, "output_padding",
                                                  allow_zero=True)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"Strides {self.strides} must be greater than output "
                                     f"padding {self.output_padding}.")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _out_lengths(self, lengths):
        pads = self.output_padding or (None,) * self._RANK
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in zip(
            lengths, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def call(self, inputs):
        x = to_nhwc(inputs, self._RANK, self.data_format)
        kernel, strides, dilations = self._nhwc_args()
        dims = x.shape.as_list()
        if dims[1] is None or dims[2] is None:
            raise ValueError(f"Layer {self.name}: the spatial dimensions of the inputs must be "
                             f"known, got input shape {tuple(inputs.shape.as_list())}")
        out_h, out_w = self._out_lengths(dims[1:3]) if self._RANK == 2 else \
            [1] + self._out_lengths(dims[2:3])
        batch = A.shape(x)[0]
        output_shape = A.stack([batch, out_h, out_w, self.filters])
        y = C.conv2d_transpose(x, kernel, output_shape, strides, self.padding.upper(),
                               dilations=dilations)
        y = A.reshape(y, [-1, out_h, out_w, self.filters])
        return self._finish(y)

    def compute_output_shape(self, input_shape):
        spatial = list(range(1, self._RANK + 1)) if self.data_format == "channels_last" else \
            list(range(2, self._RANK + 2))
        out = list(input_shape)
        lengths = self._out_lengths([input_shape[a] for a in spatial])
        for axis, n in zip(spatial, lengths):
            out[axis] = n
        out[self._channel_axis()] = self.filters
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution: `Conv1DTranspose(filters, kernel_size, strides=1,
    padding='valid', output_padding=None, ...)`; kernel (k, filters, in_channels).

    >>> layer = tf.keras.layers.Conv1DTranspose(filters=4, kernel_size=3, strides=2)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 11, 4])
    """
    _RANK = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (the gradient of Conv2D w.r.t. its input):
    `Conv2DTranspose(filters, kernel_size, strides=(1, 1), padding='valid',
    output_padding=None, data_format=None, dilation_rate=(1, 1), ...)`; kernel
    (kh, kw, filters, in_channels).

    >>> layer = tf.keras.layers.Conv2DTranspose(filters=4, kernel_size=3, strides=2)
    >>> layer(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 13, 13, 4])
    """
    _RANK = 2
