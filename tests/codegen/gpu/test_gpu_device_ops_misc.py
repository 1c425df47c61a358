"""The ops added to the GPU table on the device named by $AUTOGRAPH_JIT_GPU (default here: the
grid emulator): the device check (`benchmarks/gpu_check.py`, `pytest -m gpu`) runs them on a real
GPU, against eager — the Philox stream bit for bit, sorts, the scatter-add gradients, gather_nd,
a static TensorArray filled in a loop with `x[i]`, and tf.device("/gpu:0")."""
import os

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import function as gpu_function

pytestmark = pytest.mark.gpu
RNG = np.random.default_rng(23)


@pytest.fixture
def on_device(monkeypatch):
    from autograph_jit.codegen.gpu import kernel as gpu_kernel
    from autograph_jit.runtime.gpu import get_device
    kind = os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator"
    dev = get_device(kind)
    monkeypatch.setattr(gpu_function, "get_device", lambda kind=None: dev)
    if kind == "emulator":   # small odd grids, as tests/codegen/gpu/conftest.py's `device`
        monkeypatch.setattr(gpu_kernel.LAUNCH, "block", 64)
        monkeypatch.setattr(gpu_kernel.LAUNCH, "max_blocks", 3)
        monkeypatch.setattr(gpu_kernel.LAUNCH, "reduce_block", 64)
    return dev


def _both(fn, *args, exact=()):
    """fn on backend='gpu' (strict) and eagerly; outputs listed in `exact` (and all integer
    ones) must be bit-equal, floats else within 1e-6."""
    got = tf.function(fn, backend="gpu", strict=True)(*args)
    want = fn(*args)
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, k
        if k in exact or g.dtype.kind != "f":
            np.testing.assert_array_equal(g, w, err_msg=f"output {k}")
        else:
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, err_msg=f"output {k}")


def test_the_philox_stream_on_the_device_is_eagers(on_device):
    def draw():
        tf.random.set_seed(29)
        return (tf.random.uniform([1000, 3]), tf.random.uniform([77], dtype=tf.float64),
                tf.random.uniform([501], minval=-9, maxval=1000, dtype=tf.int32),
                tf.random.normal([999]), tf.random.truncated_normal([301]),
                tf.random.shuffle(tf.range(97)))
    _both(draw, exact=(0, 1))


def test_sorts_scatter_gradients_gather_nd_and_a_tensor_array_loop_on_the_device(on_device):
    x = RNG.normal(size=(33, 65)).astype(np.float32)
    idx = RNG.integers(0, 33, size=(300,)).astype(np.int32)
    nd = RNG.integers(0, 33, size=(50, 1)).astype(np.int64)

    def f(a, i, j):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = tf.reduce_sum(tf.gather(a, i) * 0.5) + tf.reduce_sum(tf.gather_nd(a, j) ** 2)
        arr = tf.TensorArray(tf.float32, size=13, element_shape=[65])
        for k in tf.range(13):
            arr = arr.write(k, a[k] * 2.0 + 1.0)
        return (tf.argsort(a, axis=1), tf.sort(a, axis=0, direction="DESCENDING"),
                tape.gradient(loss, a), tf.gather_nd(a, j), arr.stack(), arr.read(7))
    _both(f, tf.constant(x), tf.constant(idx), tf.constant(nd), exact=(1, 3, 4, 5))


def test_a_function_in_a_gpu_scope_runs_on_the_device(on_device):
    f = tf.function(lambda a: tf.nn.softmax(a * 3.0))
    x = tf.constant(RNG.normal(size=(17, 5)).astype(np.float32))
    with tf.device("/gpu:0"):
        got = f(x).numpy()
        assert f.get_concrete_function(x).backend == "gpu"
    np.testing.assert_allclose(got, tf.nn.softmax(x * 3.0).numpy(), rtol=1e-6, atol=1e-7)
