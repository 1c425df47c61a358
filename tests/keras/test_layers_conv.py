"""Convolution and pooling layers: NumPy references (strides, padding, dilation, groups,
causal, depthwise, separable, transposed), gradients against finite differences, compiled
against eager, config round trips, weight names and symbolic shapes."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

from .zoo_checks import check_config_round_trip, check_layer_compiled, check_layer_grads

rng = np.random.default_rng(4)
X = rng.normal(size=(2, 7, 6, 4))
X1 = rng.normal(size=(2, 9, 4))


def _same_pads(n, k, s, d):
    eff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def np_conv2d(x, k, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    """Direct NHWC convolution with HWIO kernels."""
    kh, kw, cin, cout = k.shape
    if padding == "same":
        (a, b), (c, d) = (_same_pads(x.shape[1], kh, strides[0], dilation[0]),
                          _same_pads(x.shape[2], kw, strides[1], dilation[1]))
        x = np.pad(x, [(0, 0), (a, b), (c, d), (0, 0)])
    elif isinstance(padding, tuple):
        x = np.pad(x, padding)
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh = (x.shape[1] - eh) // strides[0] + 1
    ow = (x.shape[2] - ew) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, cout))
    per = cout // groups
    for g in range(groups):
        xs = x[..., g * cin:(g + 1) * cin]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, i * dilation[0]:i * dilation[0] + (oh - 1) * strides[0] + 1:
                           strides[0], j * dilation[1]:j * dilation[1] + (ow - 1) * strides[1] + 1:
                           strides[1]]
                out[..., g * per:(g + 1) * per] += patch @ k[i, j][:, g * per:(g + 1) * per]
    return out


def np_depthwise(x, k, strides=(1, 1), padding="valid", dilation=(1, 1)):
    kh, kw, c, m = k.shape
    full = np.zeros((kh, kw, c, c * m))
    for ch in range(c):
        full[:, :, ch, ch * m:(ch + 1) * m] = k[:, :, ch, :]
    return np_conv2d(x, full, strides, padding, dilation)


def _f32(x):
    return np.asarray(x, np.float32)


@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=3, kernel_size=(2, 3), strides=2, padding="same"),
    dict(filters=2, kernel_size=2, dilation_rate=2),
    dict(filters=4, kernel_size=3, groups=2, padding="same"),
    dict(filters=3, kernel_size=3, activation="relu", use_bias=True,
         bias_initializer="random_normal"),
])
def test_conv2d_matches_numpy(kwargs):
    layer = layers.Conv2D(**kwargs)
    out = layer(_f32(X)).numpy()
    k, b = layer.get_weights()
    want = np_conv2d(_f32(X).astype(np.float64), k.astype(np.float64), layer.strides,
                     layer.padding, layer.dilation_rate, layer.groups) + b
    if kwargs.get("activation") == "relu":
        want = np.maximum(want, 0)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    assert tuple(layer(tf.keras.Input(X.shape[1:])).shape) == (None,) + out.shape[1:]
    assert layer.compute_output_shape(X.shape) == out.shape


def test_conv2d_channels_first_equals_channels_last_transposed():
    cl = layers.Conv2D(3, 3, padding="same")
    cf = layers.Conv2D(3, 3, padding="same", data_format="channels_first")
    cl(_f32(X))
    cf(_f32(X.transpose(0, 3, 1, 2)))
    cf.set_weights(cl.get_weights())
    np.testing.assert_allclose(cf(_f32(X.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1),
                               cl(_f32(X)).numpy(), rtol=1e-5, atol=1e-5)


def test_conv2d_weights_gradients_compiled_and_config():
    tf.keras.backend.clear_session()
    layer = layers.Conv2D(2, 3, strides=2, padding="same", groups=2, dtype="float64")
    check_layer_grads(layer, X)
    assert [v.name for v in layer.weights] == ["conv2d/kernel:0", "conv2d/bias:0"] or \
        [v.name.split("/")[-1] for v in layer.weights] == ["kernel:0", "bias:0"]
    assert layer.kernel.shape == (3, 3, 2, 2)
    check_layer_compiled(layers.Conv2D(3, 3, activation="relu"), _f32(X))
    check_layer_compiled(layers.Conv2D(4, 3, groups=2, strides=2, padding="same"), _f32(X))
    check_layer_compiled(layers.Conv2D(2, 3, data_format="channels_first"),
                         _f32(X.transpose(0, 3, 1, 2)))
    check_config_round_trip(layers.Conv2D(3, 2, dilation_rate=2, padding="same"), _f32(X))


@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2),
    dict(filters=4, kernel_size=2, strides=2, groups=2),
    dict(filters=2, kernel_size=3, padding="same"),
])
def test_conv1d_matches_numpy(kwargs):
    layer = layers.Conv1D(**kwargs)
    out = layer(_f32(X1)).numpy()
    k, b = layer.get_weights()
    x = _f32(X1).astype(np.float64)[:, None]
    pad = "same" if layer.padding == "same" else "valid"
    if layer.padding == "causal":
        left = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
        x = np.pad(x, [(0, 0), (0, 0), (left, 0), (0, 0)])
    want = np_conv2d(x, k[None].astype(np.float64), (1,) + layer.strides, pad,
                     (1,) + layer.dilation_rate, layer.groups)[:, 0] + b
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    assert tuple(layer(tf.keras.Input(X1.shape[1:])).shape) == (None,) + out.shape[1:]


def test_conv1d_gradients_and_compiled():
    check_layer_grads(layers.Conv1D(2, 3, padding="causal", dtype="float64"), X1)
    check_layer_compiled(layers.Conv1D(2, 3, padding="same"), _f32(X1))


@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3, strides=2),
    dict(filters=3, kernel_size=3, strides=2, padding="same"),
    dict(filters=2, kernel_size=(2, 3), strides=(2, 1), output_padding=(1, 0)),
])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(kwargs):
    layer = layers.Conv2DTranspose(**kwargs, use_bias=False, dtype="float64")
    y = layer(X).numpy()
    k = layer.get_weights()[0]                   # (kh, kw, filters, in)
    assert k.shape == layer.kernel_size + (kwargs["filters"], 4)
    # <conv2d_transpose(x), z> == <x, conv2d(z)> for the matching forward convolution
    z = rng.normal(size=y.shape)
    fwd = tf.nn.conv2d(tf.constant(z), tf.constant(k), layer.strides,
                       layer.padding.upper()).numpy()
    assert np.sum(y * z) == pytest.approx(np.sum(X * fwd), rel=1e-9)
    assert tuple(layer.compute_output_shape(X.shape)) == y.shape
    assert tuple(layers.Conv2DTranspose(**kwargs)(tf.keras.Input(X.shape[1:])).shape) == \
        (None,) + y.shape[1:]


def test_conv_transpose_gradients_compiled_config_and_1d():
    check_layer_grads(layers.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"),
                      X[:, :4, :3])
    check_layer_compiled(layers.Conv2DTranspose(2, 3, strides=2), _f32(X))
    check_config_round_trip(layers.Conv2DTranspose(2, 2, strides=2, output_padding=1), _f32(X))
    out = layers.Conv1DTranspose(3, 3, strides=2)(_f32(X1))
    assert out.shape == (2, 19, 3)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2),
    dict(kernel_size=(2, 3), dilation_rate=2, padding="same"),
])
def test_depthwise_conv2d_matches_numpy(kwargs):
    layer = layers.DepthwiseConv2D(**kwargs, bias_initializer="random_normal")
    out = layer(_f32(X)).numpy()
    k, b = layer.get_weights()
    assert [v.name.split("/")[-1] for v in layer.weights] == ["kernel:0", "bias:0"]
    want = np_depthwise(_f32(X).astype(np.float64), k.astype(np.float64), layer.strides,
                        layer.padding, layer.dilation_rate) + b
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    assert tuple(layer(tf.keras.Input(X.shape[1:])).shape) == (None,) + out.shape[1:]


def test_separable_conv2d_is_depthwise_then_pointwise():
    layer = layers.SeparableConv2D(5, 3, padding="same", depth_multiplier=2)
    out = layer(_f32(X)).numpy()
    dk, pk, b = layer.get_weights()
    assert [v.name.split("/")[-1] for v in layer.weights] == [
        "depthwise_kernel:0", "pointwise_kernel:0", "bias:0"]
    assert dk.shape == (3, 3, 4, 2) and pk.shape == (1, 1, 8, 5)
    want = np_conv2d(np_depthwise(_f32(X).astype(np.float64), dk, padding="same"), pk) + b
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)


def test_depthwise_and_separable_gradients_compiled_config():
    check_layer_grads(layers.DepthwiseConv2D(2, strides=2, padding="same", depth_multiplier=2,
                                             dtype="float64"), X[:, :4, :4])
    check_layer_grads(layers.SeparableConv1D(2, 3, dtype="float64"), X1)
    check_layer_compiled(layers.SeparableConv2D(3, 3, padding="same"), _f32(X))
    check_layer_compiled(layers.DepthwiseConv1D(3), _f32(X1))
    check_config_round_trip(layers.DepthwiseConv2D(3, depth_multiplier=2), _f32(X))
    check_config_round_trip(layers.SeparableConv2D(4, 2, strides=2), _f32(X))


def np_pool(x, size, strides, padding, op):
    h, w = x.shape[1:3]
    if padding == "same":
        (a, b), (c, d) = _same_pads(h, size[0], strides[0], 1), _same_pads(w, size[1],
                                                                           strides[1], 1)
    else:
        a = b = c = d = 0
    fill = -np.inf if op == "max" else np.nan
    xp = np.pad(x, [(0, 0), (a, b), (c, d), (0, 0)], constant_values=fill)
    oh = (xp.shape[1] - size[0]) // strides[0] + 1
    ow = (xp.shape[2] - size[1]) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, i * strides[0]:i * strides[0] + size[0],
                     j * strides[1]:j * strides[1] + size[1]]
            out[:, i, j] = win.max((1, 2)) if op == "max" else np.nanmean(win, (1, 2))
    return out


@pytest.mark.parametrize("cls, op", [(layers.MaxPooling2D, "max"),
                                     (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kwargs", [dict(), dict(pool_size=3, strides=2, padding="same"),
                                    dict(pool_size=(2, 3), strides=1)])
def test_pooling2d_matches_numpy(cls, op, kwargs):
    if cls is layers.AveragePooling2D:  # Keras 3: its pool_size has no default
        kwargs = {"pool_size": 2, **kwargs}
    layer = cls(**kwargs)
    out = layer(_f32(X)).numpy()
    want = np_pool(_f32(X).astype(np.float64), layer.pool_size, layer.strides, layer.padding, op)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert tuple(layer(tf.keras.Input(X.shape[1:])).shape) == (None,) + out.shape[1:]
    check_layer_grads(cls(**kwargs, dtype="float64"), X)
    check_layer_compiled(cls(**kwargs), _f32(X))
    check_config_round_trip(cls(**kwargs), _f32(X))


@pytest.mark.parametrize("cls, op", [(layers.MaxPooling1D, "max"),
                                     (layers.AveragePooling1D, "avg")])
def test_pooling1d_matches_numpy(cls, op):
    layer = cls(pool_size=3, strides=2, padding="same")
    out = layer(_f32(X1)).numpy()
    want = np_pool(_f32(X1)[:, None].astype(np.float64), (1, 3), (1, 2), "same", op)[:, 0]
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    check_layer_grads(cls(pool_size=2, dtype="float64"), X1)


def test_pooling_aliases_are_the_same_classes():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


@pytest.mark.parametrize("cls, ref, x", [
    (layers.GlobalAveragePooling2D, lambda x: x.mean((1, 2)), X),
    (layers.GlobalMaxPooling2D, lambda x: x.max((1, 2)), X),
    (layers.GlobalAveragePooling1D, lambda x: x.mean(1), X1),
    (layers.GlobalMaxPooling1D, lambda x: x.max(1), X1),
])
def test_global_pooling_matches_numpy(cls, ref, x):
    np.testing.assert_allclose(cls()(_f32(x)).numpy(), ref(_f32(x)), rtol=1e-5, atol=1e-6)
    assert cls(keepdims=True)(_f32(x)).shape.rank == x.ndim
    assert tuple(cls()(tf.keras.Input(x.shape[1:])).shape) == (None, x.shape[-1])
    check_layer_grads(cls(dtype="float64"), x)
    check_layer_compiled(cls(), _f32(x))


def test_global_average_pooling1d_leaves_masked_steps_out():
    mask = np.array([[True] * 5 + [False] * 4, [True] * 9])
    out = layers.GlobalAveragePooling1D()(_f32(X1), mask=tf.constant(mask)).numpy()
    np.testing.assert_allclose(out[0], _f32(X1)[0, :5].mean(0), rtol=1e-5)
    np.testing.assert_allclose(out[1], _f32(X1)[1].mean(0), rtol=1e-5)


def test_conv_rejects_wrong_rank_and_bad_arguments():
    with pytest.raises(ValueError, match="conv"):
        layers.Conv2D(2, 3)(np.ones((2, 5, 5), np.float32))
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="causal")
