"""Warm calls of a tf.function with an input_signature take the warm-call fast path
(tracing/warm_call.py) like one without: a cache entry per exact (dtype, shape) that passed the
signature's checks; arguments that do not fit the signature still raise its TypeError."""
import numpy as np
import pytest

import autograph_jit as tf


def test_signature_function_warm_calls_use_the_fast_cache_and_keep_its_checks():
    f = tf.function(lambda x: x * 2.0 + 1.0, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    for n in (3, 5, 3, 5):
        x = np.arange(4 * n, dtype=np.float32).reshape(n, 4)
        np.testing.assert_array_equal(f(tf.constant(x)).numpy(), x * 2 + 1)
    assert len(f._fast_cache) == 2
    with pytest.raises(TypeError):
        f(tf.constant(np.ones((3, 4), np.float64)))
    with pytest.raises(TypeError):
        f(tf.constant(np.ones((3, 5), np.float32)))
    with pytest.raises(TypeError):
        f(tf.constant(np.ones((3, 4, 1), np.float32)))
    np.testing.assert_array_equal(f(tf.constant(np.ones((3, 4), np.float32))).numpy(),
                                  np.full((3, 4), 3, np.float32))


def test_signature_function_with_python_arguments_stays_on_the_full_path():
    f = tf.function(lambda x: x + 1, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([], tf.float32)])
    assert float(f(2.0)) == 3.0 and float(f(5)) == 6.0
    assert not f._fast_cache  # (Python numbers are converted per call, never cached)
    assert float(f(tf.constant(1.0))) == 2.0 and float(f(tf.constant(1.0))) == 2.0
    assert len(f._fast_cache) == 1
