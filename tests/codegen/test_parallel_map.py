"""Parallel float maps (codegen/llvm/k_map.py): the chunk function hands the kernel's pointers to
a `<kernel>_rows` loop function whose pointer arguments are noalias, so broadcast scalars are
loaded once and the vector loop needs no run-time overlap checks; results stay those of eager."""
import numpy as np

import autograph_jit as tf


def test_parallel_chain_with_broadcast_scalars_matches_eager_and_uses_noalias_rows():
    x_np = np.random.default_rng(0).standard_normal(1 << 17).astype(np.float32)
    x = tf.constant(x_np)

    def chain(t):
        return tf.tanh(t * 0.5 + 1) * tf.sigmoid(t) + tf.exp(-t * t)
    f = tf.function(chain, backend="cpu", autograph=False)
    np.testing.assert_allclose(f(x).numpy(), chain(x).numpy(), rtol=1e-5, atol=1e-6)
    text = f.get_concrete_function(x).llvm_ir()
    rows = [ln for ln in text.splitlines() if ln.startswith("define") and "_rows" in ln]
    assert rows and rows[0].count("noalias") == 4   # out, x and the constants 0.5 and 1


def test_parallel_map_over_rows_with_broadcast_column_matches_numpy():
    a = np.random.default_rng(1).standard_normal((600, 300)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((300,)).astype(np.float32)
    f = tf.function(lambda p, q: tf.exp(p - q) * q, backend="cpu", autograph=False)
    got = f(tf.constant(a), tf.constant(b)).numpy()
    np.testing.assert_allclose(got, np.exp(a - b) * b, rtol=3e-6, atol=1e-7)


def test_transcendental_map_goes_parallel_from_a_smaller_size_than_a_cheap_one():
    x = tf.constant(np.linspace(-3, 3, 1 << 16, dtype=np.float32))
    heavy = tf.function(lambda t: tf.tanh(t) + 1.0, backend="cpu", autograph=False)
    cheap = tf.function(lambda t: t * 2.0 + 1.0, backend="cpu", autograph=False)
    np.testing.assert_allclose(heavy(x).numpy(), np.tanh(x.numpy()) + 1.0, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(cheap(x).numpy(), x.numpy() * 2.0 + 1.0)
    assert "ag_parallel_for" in heavy.get_concrete_function(x).llvm_ir()
    assert "ag_parallel_for" not in cheap.get_concrete_function(x).llvm_ir()
