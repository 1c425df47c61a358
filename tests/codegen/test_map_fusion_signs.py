"""Map kernels (codegen/llvm/k_map.py): a fusion body's sign facts pick vecmath's cheaper
exp_nonpositive for exp(-x*x) / exp(-|x|) only where the argument can never be positive, with
eager's results on every input (inf, nan, huge values with denormal results included); and loops
calling vector math carry the interleave hint, cheap loops do not."""
import numpy as np
import pytest

import autograph_jit as tf

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 9.3, -9.4, 10.2, 13.0,
                    3e38, -3e38, 1.0, -1.0], np.float32)


def _ir(fn, *args):
    return fn.get_concrete_function(*args).llvm_ir()


def _ulps(a, b):
    def ordinal(v):
        i = v.view(np.int32).astype(np.int64)
        return np.where(i < 0, -(2 ** 31) - i, i)
    d = np.abs(ordinal(a) - ordinal(b))
    d[np.isnan(a) & np.isnan(b)] = 0
    return d


@pytest.mark.parametrize("body", [lambda t: tf.exp(-t * t), lambda t: tf.exp(t * -t),
                                  lambda t: tf.exp(-tf.abs(t)) * 2.0,
                                  lambda t: tf.exp(-(t * t) - tf.abs(t)) + 1.0])
def test_exp_of_a_never_positive_argument_uses_exp_nonpositive_and_matches_eager(body):
    x_np = np.concatenate([np.random.default_rng(0).standard_normal(4093) * 6, SPECIAL])
    x = tf.constant(x_np.astype(np.float32))
    f = tf.function(body, backend="cpu", autograph=False)
    got, want = f(x).numpy(), body(x).numpy()
    assert "ag_vm_exp_nonpositive_f32" in _ir(f, x)
    assert _ulps(got, want).max() <= 2
    assert np.array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("body", [lambda t: tf.exp(t * t), lambda t: tf.exp(t * 0.5 - 1.0),
                                  lambda t: tf.exp(-t) * t, lambda t: tf.exp(t - tf.abs(t))])
def test_exp_of_an_argument_of_unknown_or_positive_sign_keeps_the_full_exp(body):
    x = tf.constant(np.linspace(-20, 20, 999, dtype=np.float32))
    f = tf.function(body, backend="cpu", autograph=False)
    text = _ir(f, x)
    assert "ag_vm_exp_nonpositive" not in text and "ag_vm_exp_f32" in text
    np.testing.assert_allclose(f(x).numpy(), body(x).numpy(), rtol=3e-7, atol=0)


def test_float64_fusion_uses_the_float64_variant():
    x = tf.constant(np.concatenate([np.linspace(-40, 40, 1001), [np.inf, np.nan, -0.0]]))
    f = tf.function(lambda t: tf.exp(-t * t) + t, backend="cpu", autograph=False)
    assert "ag_vm_exp_nonpositive_f64" in _ir(f, x)
    want = np.exp(-x.numpy() * x.numpy()) + x.numpy()
    np.testing.assert_allclose(f(x).numpy(), want, rtol=4e-16, atol=0)


def test_vector_math_loops_carry_the_interleave_hint_and_cheap_loops_do_not():
    x = tf.constant(np.linspace(-3, 3, 4096, dtype=np.float32))
    heavy = tf.function(lambda t: tf.tanh(t) * 2.0 + 1.0, backend="cpu", autograph=False)
    cheap = tf.function(lambda t: t * 2.0 + 1.0, backend="cpu", autograph=False)
    assert '!"llvm.loop.interleave.count", i32 4' in _ir(heavy, x)
    assert "llvm.loop.interleave.count" not in _ir(cheap, x)
    np.testing.assert_allclose(heavy(x).numpy(), np.tanh(x.numpy()) * 2 + 1, rtol=3e-7, atol=1e-6)
    # a heavy map over rows (2-D, broadcast column) tags its inner loop and stays exact
    a = tf.constant(np.random.default_rng(1).standard_normal((37, 129)).astype(np.float32))
    b = tf.constant(np.random.default_rng(2).standard_normal((37, 1)).astype(np.float32))
    g = tf.function(lambda p, q: tf.sigmoid(p + q), backend="cpu", autograph=False)
    assert "llvm.loop.interleave.count" in _ir(g, a, b)
    np.testing.assert_allclose(g(a, b).numpy(), 1 / (1 + np.exp(-(a.numpy() + b.numpy()))),
                               rtol=3e-7, atol=1e-30)
