"""backend='gpu' on the grid emulator equals eager for conv2d, conv2d_transpose, max/avg pooling
and all their gradient ops (conv2d_backprop_input / _filter, max_pool_grad, avg_pool_grad), at
odd sizes with strides, SAME / VALID / explicit padding and dilations, in float16 / float32 /
float64 (integers for max pooling), strict (every op a GPU kernel). The filter gradient's chunked
sum is deterministic: the same bits at any launch size."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import k_conv
from autograph_jit.codegen.gpu import kernel as gpu_kernel

from .conftest import run_both

F64 = np.float64
GEOMETRIES = [("SAME", 1, 1, F64), ("VALID", 1, 1, np.float32), ("SAME", 2, 1, np.float32),
              ("VALID", (2, 3), 1, np.float32), ("SAME", 1, 2, np.float32),
              ("VALID", 2, (2, 1), F64), ([[0, 0], [1, 2], [0, 1], [0, 0]], 1, 1, np.float32)]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}


def _data(seed, shape, dtype):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def _conv_and_grads(strides, padding, dilations):
    def f(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.conv2d(x, w, strides=strides, padding=padding, dilations=dilations)
            loss = tf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x, w])
    return f


def _ops(gpu, *args):
    return {n.op.name for n in gpu.get_concrete_function(*args).graph.walk()}


@pytest.mark.parametrize("padding,strides,dilations,dtype", GEOMETRIES)
def test_conv2d_and_its_input_and_filter_gradients_match_eager(device, padding, strides,
                                                               dilations, dtype):
    x, w = _data(1, (2, 7, 9, 3), dtype), _data(2, (3, 2, 3, 5), dtype)
    gpu, _ = run_both(_conv_and_grads(strides, padding, dilations), x, w, autograph=False,
                      **TOL[dtype])
    assert {"conv2d", "conv2d_backprop_input", "conv2d_backprop_filter"} <= _ops(gpu, x, w)


def test_conv2d_of_strided_operands_and_conv2d_transpose_match_eager(device):
    x, w = _data(3, (2, 9, 8, 3), np.float32), _data(4, (4, 3, 3, 2), np.float32)

    def f(x, w):
        ws = tf.transpose(w, [1, 0, 2, 3])[:, :2]     # a non-contiguous filter
        y = tf.nn.conv2d(x[:, ::2, ::-1, :], ws, 2, "SAME")
        return [y, tf.nn.conv2d_transpose(y, ws, [2, 5, 8, 3], 2, "SAME"),
                tf.nn.conv2d_transpose(y, ws, [2, 8, 9, 3], 2, "VALID")]
    run_both(f, x, w, autograph=False, **TOL[np.float32])


def test_nchw_conv_and_pool_and_their_gradients_run_through_transposed_views(device):
    x, w = _data(14, (2, 3, 7, 6), np.float32), _data(15, (3, 3, 3, 4), np.float32)

    def f(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.conv2d(x, w, 2, "SAME", data_format="NCHW")
            p = tf.nn.max_pool2d(y, 2, 1, "VALID", data_format="NCHW")
            loss = tf.reduce_sum(p * p)
        return [y, p] + tape.gradient(loss, [x, w])
    run_both(f, x, w, autograph=False, **TOL[np.float32])


def test_conv2d_gradients_of_an_empty_batch_are_zeros(device):
    x, w = _data(12, (0, 5, 4, 2), np.float32), _data(13, (3, 3, 2, 3), np.float32)
    run_both(_conv_and_grads(1, "SAME", 1), x, w, autograph=False)


def test_float16_conv2d_and_gradients_round_like_eager(device):
    x, w = _data(5, (2, 7, 6, 3), np.float16), _data(6, (3, 2, 3, 4), np.float16)
    f = _conv_and_grads(2, "SAME", 1)
    got = tf.function(f, backend="gpu", strict=True, autograph=False)(x, w)
    want = f(x, w)
    for g, v in zip(got, want):
        g, v = np.asarray(g), np.asarray(v)
        assert g.dtype == v.dtype == np.float16 and g.shape == v.shape
        # bit-equal, or (a float32 sum in another order) one float16 rounding step away
        ulp = np.spacing(np.abs(v)).astype(np.float64)
        np.testing.assert_array_less(np.abs(g.astype(np.float64) - v), ulp * 1.01 + 1e-12)


def test_float16_products_accumulate_in_float32_like_eager(device):
    # 2048 + 1 + 1 + ... stays 2048 in float16 arithmetic; eager sums in float32: 2112
    x = np.ones((1, 1, 65, 1), np.float16)
    x[0, 0, 0, 0] = 2048
    w = np.ones((1, 65, 1, 1), np.float16)
    got = tf.function(lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"), backend="gpu",
                      strict=True, autograph=False)(x, w)
    assert float(np.asarray(got).reshape(-1)[0]) == 2112.0


def _pools_and_grads(ksize, strides, padding):
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            p = tf.nn.max_pool2d(x, ksize, strides, padding)
            q = tf.nn.avg_pool2d(x, ksize, strides, padding)
            loss = tf.reduce_sum(p * p) + tf.reduce_sum(q * tf.cos(q))
        return [p, q, tape.gradient(loss, x)]
    return f


@pytest.mark.parametrize("ksize,strides,padding,dtype", [
    (2, 2, "VALID", np.float32), (2, 2, "SAME", F64), (3, 2, "SAME", np.float32),
    (3, 1, "VALID", np.float32), ((2, 3), (1, 2), "SAME", np.float32), (3, 3, "SAME", F64)])
def test_max_and_avg_pool_and_their_gradients_match_eager(device, ksize, strides, padding,
                                                          dtype):
    x = _data(7, (2, 7, 9, 3), dtype)
    gpu, _ = run_both(_pools_and_grads(ksize, strides, padding), x, autograph=False,
                      **TOL[dtype])
    assert {"max_pool2d", "avg_pool2d", "max_pool_grad", "avg_pool_grad"} <= _ops(gpu, x)


def test_max_pool_gradient_goes_to_the_first_maximum_nan_wins_padding_drops(device):
    x = np.zeros((1, 5, 5, 2), np.float32)          # ties everywhere: the first tap wins
    x[0, 1, 1, 1] = x[0, 1, 2, 1] = 3.0             # a tie inside one window
    x[0, 3, 3, 0] = np.nan                          # NaN is the maximum, and propagates
    x[0, 4, :, 1] = -np.inf                         # a window of -inf: its max is on padding

    def f(x, g):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, 2, 2, "SAME")
            loss = tf.reduce_sum(tf.where(tf.math.is_nan(y), 0.0, y) * g)
        return [y, tape.gradient(loss, x)]
    g = np.arange(1, 19, dtype=np.float32).reshape(1, 3, 3, 2)
    run_both(f, tf.constant(x), tf.constant(g), autograph=False)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_integer_max_pool_matches_eager(device, dtype):
    x = tf.constant(np.random.default_rng(8).integers(0, 200, (2, 7, 5, 3)).astype(dtype))
    run_both(lambda x: [tf.nn.max_pool2d(x, 3, 2, "SAME"), tf.nn.max_pool2d(x, 2, 1, "VALID")],
             x, autograph=False)


def test_float16_pools_and_gradients_equal_eager(device):
    x = _data(9, (2, 7, 9, 3), np.float16)
    run_both(_pools_and_grads(3, 2, "SAME"), x, autograph=False, rtol=0, atol=0)


def test_filter_gradient_in_many_chunks_is_the_same_bits_at_any_launch_size(device,
                                                                           monkeypatch):
    monkeypatch.setattr(k_conv, "FILTER_THREADS", 2000)   # 10 chunks at this size
    x, w = _data(10, (3, 11, 9, 4), np.float32), _data(11, (3, 3, 4, 2), np.float32)
    f = _conv_and_grads(1, "SAME", 1)
    length, chunks = k_conv.filter_chunks(3 * 11 * 9, 3 * 3 * 4 * 2)
    assert chunks > 1 and length == k_conv.CHUNK_MIN
    gpu, cf = run_both(f, x, w, autograph=False, **TOL[np.float32])
    first = np.asarray(gpu(x, w)[2])
    assert "conv2d_backprop_filter_sum" in cf._gpu.last_plan().kernel_module.llvm_ir
    for block, blocks in ((32, 1), (96, 7), (256, 4096)):
        monkeypatch.setattr(gpu_kernel.LAUNCH, "block", block)
        monkeypatch.setattr(gpu_kernel.LAUNCH, "max_blocks", blocks)
        again = tf.function(f, backend="gpu", strict=True, autograph=False)(x, w)
        assert np.asarray(again[2]).tobytes() == first.tobytes()


def test_filter_chunks_depend_only_on_the_shapes():
    assert k_conv.filter_chunks(0, 10) == (0, 0)
    assert k_conv.filter_chunks(10, 10 ** 6)[1] == 1      # a big filter: one chunk
    length, chunks = k_conv.filter_chunks(100_000, 144)
    assert length >= k_conv.CHUNK_MIN and (chunks - 1) * length < 100_000 <= chunks * length
    assert chunks * 144 <= 2 * k_conv.FILTER_THREADS
