"""Depthwise and separable convolution layers (Keras 3): DepthwiseConv1D/2D and
SeparableConv1D/2D.

A depthwise convolution filters each input channel on its own with `depth_multiplier` kernels
(output channel c * depth_multiplier + m, as TF). It is composed from strided slices of the padded
input, one per kernel tap, each scaled per channel and summed — plain differentiable ops that
compile natively. A separable convolution is that followed by a 1x1 `tf.nn.conv2d`.
"""
from ...ops import array_ops as A
from ...ops import conv_ops as C
from ...ops import math_ops as M
from ...ops import tiling as T
from .. import activations
from ._args import (add_optioned_weight, conv_output_length, conv_size_error,
                    normalize_data_format, normalize_padding, normalize_tuple,
                    output_would_vanish, ser, set_weight_options, spatial_axes,
                    weight_options_config)
from .convolutional import from_nhwc, to_nhwc
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
           "depthwise_conv2d"]


def _same_pads(length, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    out = -(-length // stride)
    total = max((out - 1) * stride + eff - length, 0)
    return total // 2, total - total // 2


def depthwise_conv2d(x, kernel, strides, padding, dilations, who):
    """NHWC depthwise convolution: kernel (kh, kw, C, m) -> output channels C * m."""
    dims = x.shape.as_list()
    kh, kw, channels, mult = kernel.shape.as_list()
    if dims[1] is None or dims[2] is None:
        raise ValueError(f"Layer {who}: the spatial dimensions of the inputs must be known for "
                         f"a depthwise convolution, got input shape {tuple(dims)}")
    h, w = dims[1], dims[2]
    (sh, sw), (dh, dw) = strides, dilations
    if padding == "same":
        (pt, pb), (pl, pr) = _same_pads(h, kh, sh, dh), _same_pads(w, kw, sw, dw)
        x = T.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
        h, w = h + pt + pb, w + pl + pr
    oh = conv_output_length(h, kh, "valid", sh, dh)
    ow = conv_output_length(w, kw, "valid", sw, dw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"Layer {who}: the input of spatial size {dims[1:3]} is smaller than "
                         f"the (dilated) kernel {kernel.shape.as_list()[:2]}")
    total = None
    for i in range(kh):
        for j in range(kw):
            tap = x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
            term = M.multiply(A.expand_dims(tap, -1), kernel[i, j])   # (B, oh, ow, C, m)
            total = term if total is None else M.add(total, term)
    return A.reshape(total, [-1, oh, ow, channels * mult])


class _DepthwiseBase(Layer):
    _RANK = 2
    _SEPARABLE = False

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self._RANK
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.depth_multiplier = depth_multiplier
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        set_weight_options(
            self, depthwise=(depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.input_spec = InputSpec(ndim=rank + 2)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _out_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        c = input_shape[self._channel_axis()]
        if c is None:
            raise ValueError(f"Layer {self.name}: the channel dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        self._build_kernels(c)
        self.bias = add_optioned_weight(self, "bias", (self._out_channels(c),)) \
            if self.use_bias else None
        self.input_spec = InputSpec(ndim=self._RANK + 2, axes={self._channel_axis(): c})

    def _build_kernels(self, channels):
        self.kernel = add_optioned_weight(
            self, "depthwise", self.kernel_size + (channels, self.depth_multiplier), name="kernel")

    def _depthwise(self, x, kernel):
        strides, dilations = self.strides, self.dilation_rate
        if self._RANK == 1:
            kernel = A.expand_dims(kernel, 0)
            strides, dilations = (1,) + strides, (1,) + dilations
        return depthwise_conv2d(x, kernel, strides, self.padding, dilations, self.name)

    def _post(self, y):
        return y

    def _check_output_size(self, input_shape):
        """Keras's ValueError when a 'valid' kernel is larger than a known input length (the
        kernel shape it names ends in (channels, depth_multiplier), or (channels, filters)
        for a separable convolution, as Keras's does)."""
        lengths = [input_shape[a] for a in spatial_axes(self._RANK, self.data_format)]
        if output_would_vanish(lengths, self.kernel_size, self.strides, self.padding,
                               self.dilation_rate):
            last = self.filters if self._SEPARABLE else self.depth_multiplier
            kernel = self.kernel_size + (input_shape[self._channel_axis()], last)
            raise conv_size_error(input_shape, kernel, self.dilation_rate, self.strides,
                                  self.padding)

    def call(self, inputs):
        self._check_output_size(tuple(inputs.shape.as_list()))
        x = to_nhwc(inputs, self._RANK, self.data_format)
        y = self._post(self._depthwise(x, self._depthwise_kernel()))
        if self.bias is not None:
            y = M.add(y, self.bias)
        return self.activation(from_nhwc(y, self._RANK, self.data_format))

    def _depthwise_kernel(self):
        return self.kernel

    def compute_output_shape(self, input_shape):
        self._check_output_size(tuple(input_shape))
        spatial = spatial_axes(self._RANK, self.data_format)
        out = list(input_shape)
        for i, axis in enumerate(spatial):
            out[axis] = conv_output_length(input_shape[axis], self.kernel_size[i], self.padding,
                                           self.strides[i], self.dilation_rate[i])
        c = input_shape[self._channel_axis()]
        out[self._channel_axis()] = None if c is None else self._out_channels(c)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # Keras 3 lists it with the weights' options
        config.update({
            "kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
            "depth_multiplier": self.depth_multiplier, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": ser("activation", self.activation), "use_bias": self.use_bias,
            **weight_options_config(self, "depthwise", "bias", activity=True)})
        return config


class DepthwiseConv1D(_DepthwiseBase):
    """Depthwise 1-D convolution: `DepthwiseConv1D(kernel_size, strides=1, padding='valid',
    depth_multiplier=1, ...)`; weight `kernel` (k, channels, depth_multiplier).

    >>> layer = tf.keras.layers.DepthwiseConv1D(kernel_size=3, depth_multiplier=2)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 3, 6])
    """
    _RANK = 1


class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each channel convolved with its own `depth_multiplier`
    kernels. Weight `kernel` (kh, kw, channels, depth_multiplier), then `bias`.

    >>> layer = tf.keras.layers.DepthwiseConv2D(kernel_size=3)
    >>> layer(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 4, 4, 3])
    """
    _RANK = 2


class _SeparableBase(_DepthwiseBase):
    _SEPARABLE = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = filters
        set_weight_options(
            self, pointwise=(pointwise_initializer, pointwise_regularizer, pointwise_constraint))

    def _out_channels(self, channels):
        return self.filters

    def _build_kernels(self, channels):
        self.depthwise_kernel = add_optioned_weight(
            self, "depthwise", self.kernel_size + (channels, self.depth_multiplier),
            name="depthwise_kernel")
        self.pointwise_kernel = add_optioned_weight(
            self, "pointwise", (1,) * self._RANK + (channels * self.depth_multiplier, self.filters),
            name="pointwise_kernel")

    def _depthwise_kernel(self):
        return self.depthwise_kernel

    def _post(self, y):
        kernel = self.pointwise_kernel
        if self._RANK == 1:
            kernel = A.expand_dims(kernel, 0)
        return C.conv2d(y, kernel, 1, "VALID")

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            **weight_options_config(self, "pointwise")})
        return config


class SeparableConv1D(_SeparableBase):
    """Depthwise 1-D convolution then a pointwise (1x1) one: `SeparableConv1D(filters,
    kernel_size, ...)`; weights `depthwise_kernel`, `pointwise_kernel`, `bias`.

    >>> layer = tf.keras.layers.SeparableConv1D(filters=4, kernel_size=3)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 3, 4])
    """
    _RANK = 1


class SeparableConv2D(_SeparableBase):
    """Depthwise 2-D convolution then a pointwise (1x1) one: `SeparableConv2D(filters,
    kernel_size, strides=(1, 1), padding='valid', depth_multiplier=1, ...)`; weights
    `depthwise_kernel` (kh, kw, C, m), `pointwise_kernel` (1, 1, C*m, filters), `bias`.

    >>> layer = tf.keras.layers.SeparableConv2D(filters=4, kernel_size=3)
    >>> layer(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 4, 4, 4])
    """
    _RANK = 2
