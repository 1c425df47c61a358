"""Pooling layers (Keras 3): MaxPooling1D/2D, AveragePooling1D/2D (strides default to the pool
size; 'valid' or 'same' padding), GlobalMax/AveragePooling1D/2D (`keepdims`; the 1-D average
honours a mask), with Keras's aliases (MaxPool2D, GlobalAvgPool2D, ...). Built on
`tf.nn.max_pool2d`/`avg_pool2d` and reductions."""
from ...ops import array_ops as A
from ...ops import conv_ops as C
from ...ops import math_ops as M
from ._args import (conv_output_length, normalize_data_format, normalize_padding,
                    normalize_tuple, output_would_vanish, pool_size_error, spatial_axes)
from .convolutional import from_nhwc, to_nhwc
from .input_spec import InputSpec
from .layer import Layer

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]


class _Pooling(Layer):
    _RANK = 2
    _OP = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self._RANK, "pool_size")
        self.strides = self.pool_size if strides is None else \
            normalize_tuple(strides, self._RANK, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._RANK + 2)

    def _check_output_size(self, input_shape):
        """Keras's ValueError when a 'valid' window is larger than a known input length."""
        lengths = [input_shape[a] for a in spatial_axes(self._RANK, self.data_format)]
        if output_would_vanish(lengths, self.pool_size, self.strides, self.padding):
            raise pool_size_error(input_shape, self.pool_size, self.strides, self.padding)

    def call(self, inputs):
        self._check_output_size(tuple(inputs.shape.as_list()))
        x = to_nhwc(inputs, self._RANK, self.data_format)
        ksize, strides = self.pool_size, self.strides
        if self._RANK == 1:
            ksize, strides = (1,) + ksize, (1,) + strides
        pool = C.max_pool2d if self._OP == "max" else C.avg_pool2d
        y = pool(x, ksize, strides, self.padding.upper())
        return from_nhwc(y, self._RANK, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check_output_size(tuple(input_shape))
        spatial = spatial_axes(self._RANK, self.data_format)
        out = list(input_shape)
        for i, axis in enumerate(spatial):
            out[axis] = conv_output_length(input_shape[axis], self.pool_size[i], self.padding,
                                           self.strides[i])
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, padding=self.padding, strides=self.strides,
                      data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling):
    """Max over windows of `pool_size` (2) steps: `MaxPooling1D(pool_size=2, strides=None,
    padding='valid', data_format=None)`.

    >>> x = tf.reshape(tf.range(6.0), [1, 6, 1])
    >>> tf.keras.layers.MaxPool1D(pool_size=2)(x).numpy().ravel()
    array([1., 3., 5.], dtype=float32)
    """
    _RANK, _OP = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of `pool_size` steps ('same' padding averages only real values);
    `pool_size` is required, as in Keras 3.

    >>> x = tf.reshape(tf.range(6.0), [1, 6, 1])
    >>> tf.keras.layers.AveragePooling1D(pool_size=2)(x).numpy().ravel()
    array([0.5, 2.5, 4.5], dtype=float32)
    """
    _RANK, _OP = 1, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over `pool_size` ((2, 2)) windows: `MaxPooling2D(pool_size=(2, 2), strides=None,
    padding='valid', data_format=None)`.

    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.keras.layers.MaxPool2D(pool_size=2)(x).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    _RANK, _OP = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over `pool_size` windows ('same' padding averages only real values); `pool_size`
    is required, as in Keras 3.

    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.keras.layers.AveragePooling2D(pool_size=2)(x).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    _RANK, _OP = 2, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    _RANK = 2
    _OP = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self._RANK + 2)
        self.supports_masking = self._RANK == 1 and self._OP == "avg"

    def _axes(self):
        return list(range(1, self._RANK + 1)) if self.data_format == "channels_last" else \
            list(range(2, self._RANK + 2))

    def call(self, inputs, mask=None):
        axes = self._axes()
        if self._OP == "max":
            return M.reduce_max(inputs, axis=axes, keepdims=self.keepdims)
        if mask is not None:
            m = M.cast(mask, inputs.dtype)
            m = A.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
            total = M.reduce_sum(M.multiply(inputs, m), axis=axes, keepdims=self.keepdims)
            count = M.reduce_sum(m, axis=axes, keepdims=self.keepdims)
            return M.divide_no_nan(total, count)
        return M.reduce_mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps of (batch, steps, features).

    >>> tf.keras.layers.GlobalMaxPool1D()(tf.ones([2, 5, 3])).shape
    TensorShape([2, 3])
    """
    _RANK, _OP = 1, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of (batch, steps, features); masked steps are left out.

    >>> tf.keras.layers.GlobalAveragePooling1D()(tf.ones([2, 5, 3])).shape
    TensorShape([2, 3])
    """
    _RANK, _OP = 1, "avg"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over the rows and columns of images.

    >>> tf.keras.layers.GlobalMaxPool2D()(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 3])
    """
    _RANK, _OP = 2, "max"


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over the rows and columns of images.

    >>> tf.keras.layers.GlobalAveragePooling2D()(tf.ones([2, 6, 6, 3])).shape
    TensorShape([2, 3])
    """
    _RANK, _OP = 2, "avg"


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                              AveragePooling2D)
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
