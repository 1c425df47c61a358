"""A counted loop of at most emit.SHORT_TRIP iterations is not vectorized (its back edge asks
LLVM not to): for ~2 vectors of work, the vector body and its remainder loop cost more compile
time than they save. Longer loops keep the vectorizer, and a short sum adds in index order."""
import numpy as np

import autograph_jit as tf
from autograph_jit.codegen.llvm import emit

_NO_VECTORIZE = '!{ !"llvm.loop.vectorize.enable", i1 0 }'


def _ir(fn, *args):
    fn(*args)
    return fn.get_concrete_function(*args).native_executables[-1].ir_text


def test_a_short_static_loop_asks_llvm_not_to_vectorize_it_and_a_long_one_does_not():
    short = tf.function(lambda x: tf.reduce_sum(x, axis=1))
    assert _NO_VECTORIZE in _ir(short, tf.constant(np.ones((64, emit.SHORT_TRIP), np.float32)))
    long_ = tf.function(lambda x: tf.exp(x) * 2.0)
    assert _NO_VECTORIZE not in _ir(long_, tf.constant(np.ones(4096, np.float32)))


def test_a_row_sum_over_a_short_axis_adds_in_index_order():
    # 2**60 + 1 rounds back to 2**60 in float64; a vectorized sum pairs lanes instead and keeps
    # the 1 (it gave 1.0 on the first lanes' tree)
    row = np.zeros(10, np.float32)
    row[:3] = [2.0 ** 60, 1.0, -(2.0 ** 60)]
    x = np.tile(row, (64, 1))
    got = tf.function(lambda t: tf.reduce_sum(t, axis=1))(tf.constant(x)).numpy()
    want = 0.0
    for v in row.astype(np.float64):
        want += v
    np.testing.assert_array_equal(got, np.full(64, want, np.float32))


def test_short_maps_and_softmax_cross_entropy_still_match_numpy():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((32, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 32).astype(np.int32)

    @tf.function
    def f(z, y):
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)
        return loss, tf.nn.relu(z) * 3.0 + 1.0
    loss, mapped = f(tf.constant(logits), tf.constant(labels))
    shifted = logits - logits.max(axis=1, keepdims=True)
    want = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(32), labels]
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mapped.numpy(), np.maximum(logits, 0) * np.float32(3) + 1)
