"""Native conv2d / pooling kernels (codegen/llvm/k_conv.py): backend="cpu" agrees with
backend="eager" for every op and its gradient ops over shapes, strides, paddings, dilations and
dtypes, and runs them without host callbacks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf

from .._compare import assert_native

CONV_OPS = {"conv2d", "conv2d_backprop_input", "conv2d_backprop_filter"}
POOL_OPS = {"max_pool2d", "avg_pool2d", "max_pool_grad", "avg_pool_grad"}
TOL = {np.float32: 2e-5, np.float64: 1e-11}


def _both(fn, *args):
    """(cpu results, eager results, the cpu concrete function) of fn(*args)."""
    cf = tf.function(fn, backend="cpu", autograph=False).get_concrete_function(*args)
    got = cf(*args)
    want = tf.function(fn, backend="eager", autograph=False)(*args)
    as_list = (lambda r: list(r) if isinstance(r, (list, tuple)) else [r])
    return [np.asarray(g) for g in as_list(got)], [np.asarray(w) for w in as_list(want)], cf


def _native(cf, ops):
    """Every op of `ops` in the compiled graph lowered natively (no fallback, no callback)."""
    assert_native(cf)
    ran = {n.op.name for n in cf.graph.walk()}
    assert ops & ran, ran


def _close(got, want, dtype):
    tol = TOL[dtype]
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)


def _conv_and_grads(strides, padding, dilations):
    def f(x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = tf.nn.conv2d(x, w, strides=strides, padding=padding, dilations=dilations)
            loss = tf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x, w])
    return f


def _data(rng, shape, dtype):
    return tf.constant(rng.standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding,strides,dilations", [
    ("SAME", 1, 1), ("VALID", 1, 1), ("SAME", 2, 1), ("VALID", (2, 3), 1), ("SAME", 1, 2),
    ("VALID", 1, (2, 1)), ([[0, 0], [1, 2], [0, 1], [0, 0]], 1, 1)])
def test_conv2d_and_its_gradients_match_eager(dtype, padding, strides, dilations):
    rng = np.random.default_rng(1)
    x, w = _data(rng, (2, 7, 6, 3), dtype), _data(rng, (3, 2, 3, 4), dtype)
    got, want, cf = _both(_conv_and_grads(strides, padding, dilations), x, w)
    _close(got, want, dtype)
    _native(cf, CONV_OPS)


def test_conv2d_big_enough_to_split_images_across_cores_matches_eager():
    rng = np.random.default_rng(2)
    x, w = _data(rng, (4, 14, 14, 16), np.float32), _data(rng, (3, 3, 16, 32), np.float32)
    got, want, cf = _both(_conv_and_grads(1, "SAME", 1), x, w)
    _close(got, want, np.float32)
    _native(cf, CONV_OPS)


def test_conv2d_reads_strided_inputs_and_filters_through_their_strides():
    rng = np.random.default_rng(3)
    x, w = _data(rng, (2, 9, 8, 3), np.float64), _data(rng, (4, 3, 3, 2), np.float64)

    def f(x, w):
        xs = x[:, ::2, ::-1, :]                      # strided, reversed view
        ws = tf.transpose(w, [1, 0, 2, 3])[:, :2]    # a non-contiguous filter
        return tf.nn.conv2d(xs, ws, 1, "SAME")
    got, want, cf = _both(f, x, w)
    _close(got, want, np.float64)
    _native(cf, {"conv2d"})


def test_conv2d_transpose_matches_eager():
    rng = np.random.default_rng(4)
    x, w = _data(rng, (2, 4, 5, 6), np.float32), _data(rng, (3, 3, 2, 6), np.float32)
    got, want, cf = _both(lambda x, w: tf.nn.conv2d_transpose(x, w, [2, 8, 10, 2], 2, "SAME"),
                          x, w)
    _close(got, want, np.float32)
    _native(cf, {"conv2d_backprop_input"})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_filter_gradient_summed_over_image_groups_across_cores_matches_eager(dtype):
    # 6 images: FILTER_GROUPS uneven groups (1, 2, 1, 2 images), each its own product
    from autograph_jit.codegen.llvm import k_conv
    rng = np.random.default_rng(14)
    x, w = _data(rng, (6, 20, 20, 8), dtype), _data(rng, (3, 3, 8, 16), dtype)
    assert 6 * 400 * 72 * 16 >= k_conv.PARALLEL_FLOPS and 6 % k_conv.FILTER_GROUPS
    got, want, cf = _both(_conv_and_grads(1, "SAME", 1), x, w)
    _close(got, want, dtype)
    _native(cf, CONV_OPS)


def test_conv2d_with_an_empty_batch_or_no_channels_gives_zeros_like_eager():
    x0, w = tf.zeros([0, 5, 5, 2]), tf.ones([3, 3, 2, 4])
    got, want, _ = _both(_conv_and_grads(1, "SAME", 1), x0, w)
    _close(got, want, np.float32)
    xc, wc = tf.ones([1, 4, 4, 0]), tf.ones([2, 2, 0, 3])
    got, want, _ = _both(lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"), xc, wc)
    _close(got, want, np.float32)


def _pools_and_grads(ksize, strides, padding):
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            a = tf.nn.max_pool2d(x, ksize, strides, padding)
            b = tf.nn.avg_pool2d(x, ksize, strides, padding)
            loss = tf.reduce_sum(a * a) + tf.reduce_sum(b * tf.cos(b))
        return [a, b, tape.gradient(loss, x)]
    return f


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ksize,strides,padding", [
    (2, 2, "VALID"), (3, 1, "SAME"), (3, 2, "SAME"), ((2, 3), (1, 2), "VALID"), (3, 3, "SAME")])
def test_pools_and_their_gradients_match_eager(dtype, ksize, strides, padding):
    rng = np.random.default_rng(5)
    x = _data(rng, (2, 7, 8, 3), dtype)
    got, want, cf = _both(_pools_and_grads(ksize, strides, padding), x)
    _close(got, want, dtype)
    _native(cf, POOL_OPS)


def test_max_pool_gradient_goes_to_the_first_maximum_of_tied_windows():
    x = tf.constant(np.array([[1, 3, 3, 0], [3, 2, 0, 0], [5, 5, 1, 1], [5, 5, 1, 1]],
                             np.float32).reshape(1, 4, 4, 1))
    got, want, cf = _both(_pools_and_grads(2, 2, "VALID"), x)
    _close(got, want, np.float32)
    np.testing.assert_array_equal(got[2][0, :, :, 0] != 0, want[2][0, :, :, 0] != 0)
    _native(cf, {"max_pool_grad"})


def test_max_pool_propagates_nan_and_all_minus_infinity_windows_like_eager():
    v = np.array([[np.nan, 1, -np.inf, -np.inf], [2, 0, -np.inf, -np.inf]], np.float64)
    x = tf.constant(v.reshape(1, 2, 4, 1))
    got, want, cf = _both(_pools_and_grads(2, 2, "SAME"), x)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    _native(cf, {"max_pool2d", "max_pool_grad"})


def test_max_pool_gradient_of_all_minus_infinity_windows_is_dropped_on_padding_like_eager():
    x = tf.constant(np.full((1, 3, 3, 2), -np.inf, np.float32))

    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.max_pool2d(x, 3, 1, "SAME"))
        return tape.gradient(loss, x)
    got, want, cf = _both(f, x)
    np.testing.assert_array_equal(got[0], want[0])
    assert 0 < np.count_nonzero(want[0]) < want[0].size  # some windows routed to padding
    _native(cf, {"max_pool_grad"})


@pytest.mark.parametrize("ksize,strides,padding", [(5, 2, "SAME"), ((4, 5), 3, "VALID")])
def test_windows_wider_than_the_unrolled_taps_loop_over_them_and_match_eager(ksize, strides,
                                                                             padding):
    from autograph_jit.codegen.llvm import k_pool
    assert np.prod(np.broadcast_to(ksize, 2)) > k_pool.UNROLL_TAPS  # (the looped kernels)
    rng = np.random.default_rng(8)
    x = _data(rng, (2, 9, 11, 3), np.float64)
    got, want, cf = _both(_pools_and_grads(ksize, strides, padding), x)
    _close(got, want, np.float64)
    _native(cf, POOL_OPS)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_a_large_batch_pools_image_by_image_across_cores_with_ties_and_nan_like_eager(padding):
    # 8 images of 17x16x32 (past k_pool.PARALLEL_ELEMENTS; 32 channels: vectorized), values
    # rounded so windows tie, a NaN and a -inf window: max and first-maximum routing as eager
    from autograph_jit.codegen.llvm import k_pool
    rng = np.random.default_rng(9)
    v = np.round(rng.standard_normal((8, 17, 16, 32)) * 2).astype(np.float32)
    v[3, 4, 5, 7] = np.nan
    v[5, 0:2, 0:2, 9] = -np.inf
    assert v.size >= k_pool.PARALLEL_ELEMENTS
    x = tf.constant(v)
    got, want, cf = _both(_pools_and_grads(2, 2, padding), x)
    _close(got, want, np.float32)
    _native(cf, POOL_OPS)

    def max_only(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, 2, 2, padding)
            loss = tf.reduce_sum(y * tf.range(32, dtype=tf.float32))
        return [y, tape.gradient(loss, x)]
    got, want, cf = _both(max_only, x)
    for g, w in zip(got, want):  # the max, and which tap each window's gradient goes to
        np.testing.assert_array_equal(g, w)
    _native(cf, {"max_pool2d", "max_pool_grad"})


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_integer_max_pool_is_exact(dtype):
    rng = np.random.default_rng(6)
    x = tf.constant(rng.integers(0, 200, (2, 5, 5, 3)).astype(dtype))
    got, want, cf = _both(lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), x)
    np.testing.assert_array_equal(got[0], want[0])
    _native(cf, {"max_pool2d"})


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3),
       kh=st.integers(1, 3), kw=st.integers(1, 3), o=st.integers(1, 3), sh=st.integers(1, 3),
       sw=st.integers(1, 3), padding=st.sampled_from(["SAME", "VALID"]))
def test_random_conv_and_pool_geometries_match_eager(n, h, w, c, kh, kw, o, sh, sw, padding):
    if padding == "VALID" and (kh > h or kw > w):
        return
    rng = np.random.default_rng(h * 7 + w)
    x, f = _data(rng, (n, h, w, c), np.float64), _data(rng, (kh, kw, c, o), np.float64)

    def fn(x, f):
        with tf.GradientTape() as tape:
            tape.watch([x, f])
            y = tf.nn.conv2d(x, f, (sh, sw), padding)
            p = tf.nn.max_pool2d(y, (kh, kw), (sh, sw), "SAME")
            q = tf.nn.avg_pool2d(y, (kh, kw), (sh, sw), "SAME")
            loss = tf.reduce_sum(p * p) + tf.reduce_sum(q)
        return [y, p, q] + tape.gradient(loss, [x, f])
    got, want, cf = _both(fn, x, f)
    _close(got, want, np.float64)
    _native(cf, CONV_OPS | POOL_OPS)


@settings(max_examples=12, deadline=None)
@given(n=st.integers(1, 8), h=st.integers(3, 16), w=st.integers(3, 16),
       c=st.sampled_from([1, 3, 8, 16, 33]), o=st.sampled_from([1, 5, 16, 32, 40]),
       kh=st.integers(1, 4), kw=st.integers(1, 4), stride=st.integers(1, 2),
       padding=st.sampled_from(["SAME", "VALID"]), pool=st.integers(2, 3))
def test_random_batches_of_many_channels_match_eager(n, h, w, c, o, kh, kw, stride, padding,
                                                     pool):
    # batches and channel counts that reach the image-group filter gradient, the vectorized
    # channel loops, the pools' images across cores and (on AVX-512) k_gemm's tails
    if padding == "VALID" and (kh > h or kw > w):
        return
    rng = np.random.default_rng(n * 1000 + h * 31 + c)
    x, f = _data(rng, (n, h, w, c), np.float32), _data(rng, (kh, kw, c, o), np.float32)

    def fn(x, f):
        with tf.GradientTape() as tape:
            tape.watch([x, f])
            y = tf.nn.relu(tf.nn.conv2d(x, f, stride, padding))
            p = tf.nn.max_pool2d(y, pool, pool - 1, "SAME")
            loss = tf.reduce_sum(p * p) + tf.reduce_sum(y)
        return [y, p] + tape.gradient(loss, [x, f])
    got, want, cf = _both(fn, x, f)
    _close(got, want, np.float32)
    _native(cf, CONV_OPS | {"max_pool2d", "max_pool_grad"})


def test_a_small_cnn_training_step_on_cpu_matches_eager():
    rng = np.random.default_rng(7)
    x = _data(rng, (4, 8, 8, 1), np.float32)
    labels = tf.constant(rng.integers(0, 3, 4).astype(np.int32))
    init = [rng.standard_normal(s).astype(np.float32) * 0.3
            for s in ((3, 3, 1, 4), (3, 3, 4, 6), (6 * 4, 3))]

    def run(backend):
        ws = [tf.Variable(a) for a in init]

        @tf.function(backend=backend, autograph=False)
        def step(x, labels):
            with tf.GradientTape() as tape:
                h = tf.nn.relu(tf.nn.conv2d(x, ws[0], 1, "SAME"))
                h = tf.nn.max_pool2d(h, 2, 2, "VALID")
                h = tf.nn.relu(tf.nn.conv2d(h, ws[1], 1, "SAME"))
                h = tf.nn.avg_pool2d(h, 2, 2, "VALID")
                logits = tf.matmul(tf.reshape(h, [4, -1]), ws[2])
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=logits))
            for v, g in zip(ws, tape.gradient(loss, ws)):
                v.assign_sub(0.1 * g)
            return loss
        return [float(step(x, labels)) for _ in range(3)], [v.numpy() for v in ws]
    (l_cpu, w_cpu), (l_eager, w_eager) = run("cpu"), run("eager")
    np.testing.assert_allclose(l_cpu, l_eager, rtol=1e-5)
    for a, b in zip(w_cpu, w_eager):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_conv_kernels_appear_in_the_llvm_ir_with_their_source_line():
    x, w = tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 2])
    cf = tf.function(lambda x, w: tf.nn.max_pool2d(tf.nn.conv2d(x, w, 1, "SAME"), 2, 2, "SAME"),
                     backend="cpu", autograph=False).get_concrete_function(x, w)
    cf(x, w)
    text = cf.llvm_ir()
    assert "k_conv2d_" in text and "k_max_pool2d_" in text and "im2col+gemm" in text



def test_conv2d_transpose_with_an_inconsistent_output_shape_behaves_as_eager():
    x, w = tf.ones([1, 3, 3, 2]), tf.ones([2, 2, 1, 2])

    def f(x, w):  # dy is 3x3 but SAME with stride 2 on 7x7 needs 4x4
        return tf.nn.conv2d_transpose(x, w, [1, 7, 7, 1], 2, "SAME")
    with pytest.raises(Exception) as want:
        tf.function(f, backend="eager", autograph=False)(x, w)
    with pytest.raises(type(want.value)):
        tf.function(f, backend="cpu", autograph=False)(x, w)
