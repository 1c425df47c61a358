"""The 'bicubic', 'lanczos3', 'lanczos5' and 'area' resize kernels (UpSampling2D, Resizing):
equal to TensorFlow 2.21 / Keras 3.15 (fixtures/resize_tf.npz, made by
fixtures/make_resize_fixture.py) to 1e-5, to plain NumPy formulas of the kernels, traced as
eagerly, and their image gradients equal finite differences."""
import math
import os

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras.layers.preprocessing.image_ops import resize

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "resize_tf.npz"))
X = FIXTURE["x"]
RESIZE_KEYS = [k for k in FIXTURE.files if k != "x" and not k.startswith(("up", "aa_"))]
UP_KEYS = [k for k in FIXTURE.files if k.startswith("up")]


@pytest.mark.parametrize("key", RESIZE_KEYS)
def test_resize_matches_tensorflow(key):
    method, hw = key.split("_")
    h, w = map(int, hw.split("x"))
    got = resize(tf.constant(X), h, w, method).numpy()
    np.testing.assert_allclose(got, FIXTURE[key], atol=1e-5, rtol=0)


@pytest.mark.parametrize("key", UP_KEYS)
def test_upsampling2d_matches_keras3(key):
    method = key.split("_", 1)[1]
    if key.startswith("upcf"):
        layer = tf.keras.layers.UpSampling2D((3, 2), data_format="channels_first",
                                             interpolation=method)
    else:
        layer = tf.keras.layers.UpSampling2D((2, 3), interpolation=method)
    np.testing.assert_allclose(layer(X).numpy(), FIXTURE[key], atol=1e-5, rtol=0)


# -- plain NumPy formulas (float64, per output sample) -------------------------------------

def _keys(t, a=-0.5):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


def _lanczos(t, r):
    t = abs(t)
    if t > r:
        return 0.0
    if t < 1e-3:
        return 1.0
    return r * math.sin(math.pi * t) * math.sin(math.pi * t / r) / (math.pi * t) ** 2


def _matrix(method, n_in, n_out):
    """The (n_out, n_in) resampling matrix of one axis."""
    m = np.zeros((n_out, n_in))
    s = n_in / n_out
    for o in range(n_out):
        if method == "bicubic":
            c = (o + 0.5) * s - 0.5
            base = math.floor(c)
            for i in range(base - 1, base + 3):
                if 0 <= i < n_in:
                    m[o, i] = _keys(c - i)
        elif method.startswith("lanczos"):
            r = int(method[-1])
            c = (o + 0.5) * s
            for i in range(n_in):
                if math.ceil(c - r - 0.5) <= i <= math.floor(c + r - 0.5):
                    m[o, i] = _lanczos(i + 0.5 - c, r)
        else:  # area: the overlap of [o, o + 1) * s with each input cell [i, i + 1)
            lo, hi = o * s, (o + 1) * s
            for i in range(n_in):
                m[o, i] = max(0.0, min(hi, i + 1) - max(lo, i))
        m[o] /= m[o].sum()
    return m


@pytest.mark.parametrize("method", ["bicubic", "lanczos3", "lanczos5", "area"])
@pytest.mark.parametrize("size", [(10, 14), (3, 4), (8, 5)])
def test_resize_matches_the_numpy_formula(method, size):
    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3))
    want = np.einsum("hH,wW,bHWc->bhwc", _matrix(method, 5, size[0]),
                     _matrix(method, 7, size[1]), x)
    got = resize(tf.constant(x.astype("float32")), *size, method).numpy()
    # bicubic reads TF's 1024-entry weight table: weights within ~1e-3 of the formula's
    tol = 2e-3 if method == "bicubic" else 1e-5
    np.testing.assert_allclose(got, want, atol=tol, rtol=0)


def test_bicubic_factor_two_is_the_exact_formula():
    x = np.random.default_rng(1).normal(size=(1, 4, 6, 1))
    want = np.einsum("hH,wW,bHWc->bhwc", _matrix("bicubic", 4, 8), _matrix("bicubic", 6, 12), x)
    got = tf.keras.layers.UpSampling2D(2, interpolation="bicubic")(x.astype("float32"))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["bicubic", "lanczos3", "lanczos5", "area"])
def test_resize_gradient_equals_finite_differences(method):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 3, 4, 2))
    r = tf.constant(rng.normal(size=(1, 5, 3, 2)))

    def loss(v):
        return tf.reduce_sum(resize(v, 5, 3, method) * r)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = loss(xt)
    grad = tape.gradient(y, xt).numpy()
    eps, numeric = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        numeric[i] = (loss(tf.constant(x + d)).numpy() - loss(tf.constant(x - d)).numpy()) / (
            2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_traced_upsampling_equals_eager():
    layer = tf.keras.layers.UpSampling2D((2, 2), interpolation="lanczos3")
    f = tf.function(lambda v: layer(v))
    np.testing.assert_allclose(f(tf.constant(X)).numpy(), layer(X).numpy(), atol=1e-6)


def test_upsampling_interpolation_is_case_insensitive_and_checked():
    assert tf.keras.layers.UpSampling2D(interpolation="BiCubic").interpolation == "bicubic"
    with pytest.raises(ValueError, match="interpolation"):
        tf.keras.layers.UpSampling2D(interpolation="gaussian")


@pytest.mark.parametrize("method", ["bicubic", "lanczos3", "lanczos5", "area"])
def test_resizing_layer_uses_the_kernel(method):
    key = f"{method}_8x5"
    got = tf.keras.layers.Resizing(8, 5, interpolation=method)(X).numpy()
    np.testing.assert_allclose(got, FIXTURE[key], atol=1e-5, rtol=0)


AA_KEYS = [k for k in FIXTURE.files if k.startswith("aa_")]


@pytest.mark.parametrize("key", AA_KEYS)
def test_antialiased_resize_matches_tensorflow(key):
    _, method, hw = key.split("_")
    h, w = map(int, hw.split("x"))
    got = resize(tf.constant(X), h, w, method, antialias=True).numpy()
    np.testing.assert_allclose(got, FIXTURE[key], atol=1e-5, rtol=0)


def test_resizing_layer_antialias_and_its_gradient():
    layer = tf.keras.layers.Resizing(2, 3, interpolation="bilinear", antialias=True)
    np.testing.assert_allclose(layer(X).numpy(), FIXTURE["aa_bilinear_2x3"], atol=1e-5)
    assert tf.keras.layers.Resizing.from_config(layer.get_config()).antialias is True
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 5, 7, 1))
    r = tf.constant(rng.normal(size=(1, 2, 3, 1)))

    def loss(v):
        return tf.reduce_sum(resize(v, 2, 3, "lanczos3", antialias=True) * r)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = loss(xt)
    grad = tape.gradient(y, xt).numpy()
    eps, numeric = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        numeric[i] = (loss(tf.constant(x + d)).numpy() - loss(tf.constant(x - d)).numpy()) / (
            2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)
