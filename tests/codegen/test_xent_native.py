"""softmax_cross_entropy_with_logits on the CPU backend (codegen/llvm/rowops.py): native code, no
host callback, agreeing with eager for float16/32/64 over axes, ranks, strided operands and
extreme logits, with its gradient (softmax/log_softmax, also native)."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf

from .._compare import assert_native

TOL = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}


def _distribution(rng, shape, axis, dtype):
    p = rng.uniform(0.1, 1, shape)
    return tf.constant((p / p.sum(axis=axis, keepdims=True)).astype(dtype))


def _run(fn, *args):
    """(cpu results, eager results, the cpu concrete function)."""
    cf = tf.function(fn, backend="cpu", autograph=False).get_concrete_function(*args)
    got = cf(*args)
    want = tf.function(fn, backend="eager", autograph=False)(*args)
    as_list = (lambda r: list(r) if isinstance(r, (list, tuple)) else [r])
    return [np.asarray(g) for g in as_list(got)], [np.asarray(w) for w in as_list(want)], cf


def _assert_native(cf):
    assert_native(cf)
    assert "softmax_cross_entropy_with_logits" in {n.op.name for n in cf.graph.walk()}


def _close(got, want, dtype):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64),
                                   rtol=TOL[dtype], atol=TOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((7,), -1), ((5, 9), -1), ((5, 9), 0), ((2, 3, 4), 1),
                                        ((3, 0, 4), -1)])
def test_dense_cross_entropy_and_its_gradient_match_eager_without_a_callback(dtype, shape, axis):
    rng = np.random.default_rng(len(shape) * 10 + axis)
    labels = _distribution(rng, shape, axis, dtype)
    logits = tf.constant((3 * rng.standard_normal(shape)).astype(dtype))

    def f(labels, logits):
        with tf.GradientTape() as tape:
            tape.watch([labels, logits])
            loss = tf.nn.softmax_cross_entropy_with_logits(labels, logits, axis=axis)
            total = tf.reduce_sum(loss * loss)
        return [loss] + tape.gradient(total, [labels, logits])
    got, want, cf = _run(f, labels, logits)
    _close(got, want, dtype)
    _assert_native(cf)


def test_dense_cross_entropy_reads_strided_operands_through_their_strides():
    rng = np.random.default_rng(3)
    labels = _distribution(rng, (6, 8), 0, np.float32)
    logits = tf.constant(rng.standard_normal((8, 12)).astype(np.float32))

    def f(labels, logits):   # transposed labels, every other column of the logits, reversed
        return tf.nn.softmax_cross_entropy_with_logits(tf.transpose(labels),
                                                       logits[:, ::-2], axis=-1)
    got, want, cf = _run(f, labels, logits)
    _close(got, want, np.float32)
    _assert_native(cf)


def test_dense_cross_entropy_of_huge_and_infinite_logits_matches_eager():
    logits = tf.constant(np.array([[1e30, -1e30, 0.0], [np.inf, 1.0, 2.0],
                                   [-np.inf, -np.inf, -np.inf], [np.nan, 1.0, 0.0]], np.float32))
    labels = tf.constant(np.array([[0.5, 0.25, 0.25]] * 4, np.float32))
    got, want, cf = _run(lambda a, b: tf.nn.softmax_cross_entropy_with_logits(a, b), labels,
                         logits)
    np.testing.assert_array_equal(np.isnan(got[0]), np.isnan(want[0]))
    finite = np.isfinite(want[0])
    np.testing.assert_allclose(got[0][finite], want[0][finite], rtol=1e-6)
    np.testing.assert_array_equal(got[0][~finite & ~np.isnan(want[0])],
                                  want[0][~finite & ~np.isnan(want[0])])
    _assert_native(cf)


def test_dense_cross_entropy_over_an_empty_axis_is_zero_as_eager():
    labels, logits = tf.zeros([3, 0]), tf.zeros([3, 0])
    fn = (lambda a, b: tf.nn.softmax_cross_entropy_with_logits(a, b))
    want = fn(labels, logits).numpy()
    np.testing.assert_array_equal(want, np.zeros(3, np.float32))  # a sum over no classes, as TF
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = tf.function(fn, backend="cpu", autograph=False)(labels, logits).numpy()
    np.testing.assert_array_equal(got, want)


def test_mlp_step_with_dense_cross_entropy_runs_without_fallbacks():
    rng = np.random.default_rng(4)
    w = tf.Variable(rng.normal(0, 0.1, (6, 4)).astype(np.float32))
    x = tf.constant(rng.standard_normal((5, 6)).astype(np.float32))
    y = _distribution(rng, (5, 4), -1, np.float32)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, x @ w))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss
    w0 = w.numpy().copy()
    got = tf.function(step, backend="cpu")(x, y).numpy()
    w1 = w.numpy().copy()
    w.assign(w0)
    want = tf.function(step, backend="eager")(x, y).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(w1, w.numpy(), rtol=1e-6, atol=1e-7)
    cf = tf.function(step, backend="cpu").get_concrete_function(x, y)
    cf(x, y)
    assert not cf.fallbacks
