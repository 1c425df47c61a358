"""View ops whose result is no strided view of their input's layout (a reshape merging
transposed, reversed, stepped or broadcast dims) compile natively on the CPU backend: the input
is copied C-contiguous by the copy kernel and viewed (codegen/llvm/k_array.py). Compiled equals
eager bit for bit, no node runs on the interpreter, and the copy shows in explain()/llvm_ir()."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm.executable import SymbolicExecutable

RNG = np.random.default_rng(14)
COPY_LABEL = "contiguous copy: no strided view of its input's layout"


def _native(fn, *args, **kwargs):
    """fn compiled with strict=True (an interpreter fallback raises) and its concrete function."""
    f = tf.function(fn, backend="cpu", strict=True, **kwargs)
    got = f(*args)
    return got, f.get_concrete_function(*args)


def _assert_bitwise(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, want.shape)
    assert got.tobytes() == want.tobytes()


def _assert_copy_reported(cf):
    assert cf._cpu.fallbacks == []
    text = cf.explain()
    assert "interpreter" not in text and "fallback" not in text
    assert COPY_LABEL in cf.llvm_ir()


SHAPES_PERMS = [
    ((2, 3, 4, 5), (0, 2, 1, 3)),   # MultiHeadAttention's [b, h, t, d] -> [b, t, h, d]
    ((2, 3, 4, 5), (3, 2, 1, 0)),
    ((4, 6), (1, 0)),
    ((1, 3, 1, 4), (2, 3, 0, 1)),   # size-1 dims
    ((3, 1, 5), (2, 0, 1)),
    ((0, 3, 2), (2, 1, 0)),         # size-0 dims
    ((3, 0, 2), (1, 2, 0)),
    ((2, 3, 4, 5, 2), (4, 0, 3, 1, 2)),
]


@pytest.mark.parametrize("shape,perm", SHAPES_PERMS)
def test_reshape_of_a_transpose_is_native_and_bitwise_equal_to_eager(shape, perm):
    x = RNG.standard_normal(shape).astype(np.float32)
    t_shape = [shape[p] for p in perm]
    targets = [[-1], [int(np.prod(t_shape[:2]))] + t_shape[2:],
               t_shape[:-2] + [t_shape[-2] * t_shape[-1]],
               t_shape[::-1]]

    def f(v):
        t = tf.transpose(v, perm)
        return tuple(tf.reshape(t, s) for s in targets)
    got, cf = _native(f, x)
    want = f(tf.constant(x))
    for g, w in zip(got, want):
        _assert_bitwise(g, w)
    if x.size and sum(d > 1 for d in shape) > 1:
        _assert_copy_reported(cf)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64, np.bool_, np.float16])
def test_the_copy_is_bitwise_for_every_dtype(dtype):
    x = (RNG.standard_normal((3, 4, 5)) * 10).astype(dtype)

    def f(v):
        return tf.reshape(tf.transpose(v, [1, 2, 0]), [4, 15])
    got, cf = _native(f, x)
    _assert_bitwise(got, np.reshape(np.transpose(x, [1, 2, 0]), [4, 15]))
    _assert_copy_reported(cf)


def test_reshape_of_reversed_and_stepped_slices_negative_strides():
    x = RNG.standard_normal((6, 5, 4)).astype(np.float32)

    def f(v):
        a = tf.reshape(v[::-1, :, ::-2], [-1])
        b = tf.reshape(tf.reverse(v, [1, 2])[1:5, ::2], [4, -1])
        c = tf.reshape(v[::-2, ::-1][:, 1:], [3, 16])
        return a, b, c
    got, cf = _native(f, x)
    want = (np.reshape(x[::-1, :, ::-2], [-1]),
            np.reshape(x[:, ::-1, ::-1][1:5, ::2], [4, -1]),
            np.reshape(x[::-2, ::-1][:, 1:], [3, 16]))
    for g, w in zip(got, want):
        _assert_bitwise(g, w)
    _assert_copy_reported(cf)


def test_reshape_of_a_broadcast_and_of_an_expanded_squeezed_transpose():
    x = RNG.standard_normal((3, 1, 4)).astype(np.float32)

    def f(v):
        b = tf.reshape(tf.broadcast_to(v, [3, 2, 4]), [6, 4])
        e = tf.reshape(tf.expand_dims(tf.transpose(tf.squeeze(v, 1)), 0), [2, 6])
        return b, e
    got, cf = _native(f, x)
    _assert_bitwise(got[0], np.reshape(np.broadcast_to(x, (3, 2, 4)), (6, 4)))
    _assert_bitwise(got[1], np.reshape(x[:, 0].T[None], (2, 6)))
    _assert_copy_reported(cf)


def test_the_copy_feeds_later_kernels_and_splits_of_the_reshaped_value():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)

    def f(v):
        r = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [8, 15])
        top, bottom = tf.split(r, 2, axis=0)
        return tf.nn.relu(top) * 2.0 + 1.0, tf.unstack(bottom[:, ::-3], axis=1)
    got, cf = _native(f, x)
    want = f(tf.constant(x))
    _assert_bitwise(got[0], want[0])
    for g, w in zip(got[1], want[1]):
        _assert_bitwise(g, w)
    _assert_copy_reported(cf)


def test_a_variable_read_is_copied_before_a_later_write_to_the_variable():
    init = RNG.standard_normal((3, 4)).astype(np.float32)
    v = tf.Variable(init)

    def f():
        r = tf.reshape(tf.transpose(v), [-1])
        v.assign(tf.zeros_like(v))
        return r
    got, cf = _native(f)
    _assert_bitwise(got, init.T.reshape(-1))
    assert np.all(v.numpy() == 0)
    _assert_copy_reported(cf)


def test_gradient_of_the_reshaped_transpose_matches_finite_differences():
    x = RNG.standard_normal((2, 3, 2, 4))
    w = RNG.standard_normal((2, 2, 12))

    def loss(v):
        r = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [2, 2, 12])
        return tf.reduce_sum(tf.sin(r) * w)

    def f(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = loss(v)
        return y, tape.gradient(y, v)
    (y, g), cf = _native(f, tf.constant(x))
    assert cf._cpu.fallbacks == []
    g = np.asarray(g)
    eps = 1e-6
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        num[i] = (float(loss(tf.constant(x + d))) - float(loss(tf.constant(x - d)))) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    _, want = f(tf.constant(x))
    _assert_bitwise(g, want)


def test_symbolic_batch_dim_reshape_of_a_transpose_compiles_once_natively():
    def f(v):
        return tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [-1, 4, 15]) + 1.0
    fn = tf.function(f, backend="cpu", strict=True,
                     input_signature=[tf.TensorSpec([None, 3, 4, 5], tf.float32)])
    for n in (1, 0, 2, 7, 33):
        x = RNG.standard_normal((n, 3, 4, 5)).astype(np.float32)
        _assert_bitwise(fn(tf.constant(x)), f(tf.constant(x)))
    cpu = fn.get_concrete_function()._cpu
    assert len(cpu.executables) == 1
    assert isinstance(cpu.executables[0], SymbolicExecutable)
    assert cpu.fallbacks == []
    text = fn.get_concrete_function().explain()
    assert "symbolic: the leading dim n" in text and "interpreter" not in text


def test_run_time_index_into_a_reshaped_transpose_in_a_loop():
    x = RNG.standard_normal((3, 4, 2)).astype(np.float32)

    def f(v):
        r = tf.reshape(tf.transpose(v, [1, 0, 2]), [4, 6])
        acc = tf.zeros([6])
        for i in tf.range(4):
            acc = acc * 0.5 + r[i]
        return acc
    fn = tf.function(f, backend="cpu", strict=True)
    np.testing.assert_allclose(fn(x), f(tf.constant(x)), rtol=1e-6)


def test_no_interpreter_warning_for_a_reshape_of_a_transpose():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)

    @tf.function(backend="cpu")
    def f(v):
        b, h, t, d = v.shape
        return tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [b, t, h * d])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x)
    _assert_bitwise(got, np.reshape(np.transpose(x, [0, 2, 1, 3]), [2, 4, 15]))
    _assert_copy_reported(f.get_concrete_function(x))


def test_a_loop_carried_reshape_of_its_own_transpose_is_copied_each_iteration():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)

    def f(v, n):
        y = tf.zeros([12])
        for _ in tf.range(n):
            v = tf.reshape(tf.transpose(v), [3, 4])
            y = y * 0.5 + tf.reshape(tf.transpose(v), [-1])
        return v, y
    fn = tf.function(f, backend="cpu", strict=True)
    for n in (0, 1, 2, 3, 6):
        got = fn(x, tf.constant(n))
        want = f(tf.constant(x), tf.constant(n))
        for g, w in zip(got, want):
            _assert_bitwise(g, w)
    _assert_copy_reported(fn.get_concrete_function(x, tf.constant(1)))
