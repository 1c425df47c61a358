"""Retracing does not grow memory without bound (issue 11, defect 8): each tf.function keeps at
most trace_cache_size() traces, least recently used dropped first, with one warning naming what
keeps changing; NaN and -0.0 Python arguments key consistently; the test session itself writes
its disk cache into a temporary directory, never into ~/.cache."""
import gc
import os
import warnings
import weakref

import pytest

import autograph_jit as tf


def _calls(fn, args_list):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for args in args_list:
            fn(*args)
    return [str(w.message) for w in caught if "traces" in str(w.message)]


def test_new_shapes_past_the_limit_drop_the_least_recently_used_trace_and_warn_once():
    fn = tf.function(lambda x: x + 1.0, experimental_trace_cache_size=3)
    messages = _calls(fn, [(tf.ones([n]),) for n in range(1, 8)])
    assert len(messages) == 1
    assert "more than 3 traces" in messages[0] and "argument x" in messages[0]
    assert "experimental_trace_cache_size" in messages[0]
    assert len(fn.cached_concrete_functions()) == 3
    count = fn.experimental_get_tracing_count()
    fn(tf.ones([7]))  # recently used: still cached
    assert fn.experimental_get_tracing_count() == count
    fn(tf.ones([1]))  # dropped long ago: traced again
    assert fn.experimental_get_tracing_count() == count + 1


def test_recently_used_traces_survive_and_values_stay_right():
    fn = tf.function(lambda x, k: x * k, experimental_trace_cache_size=2)
    x = tf.ones([2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in range(10):
            assert fn(x, 7).numpy().tolist() == [7.0, 7.0]  # kept hot
            assert fn(x, k).numpy().tolist() == [float(k)] * 2
    assert fn.experimental_get_tracing_count() == 10 + 1 - 1  # k=7 shares the hot trace


def test_dropped_traces_are_freed():
    fn = tf.function(lambda x, k: x * k, experimental_trace_cache_size=4)
    x = tf.ones([3])
    refs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in range(12):
            fn(x, k)
            refs.append(weakref.ref(fn.get_concrete_function(x, k)))
    gc.collect()
    alive = [r for r in refs if r() is not None]
    assert len(alive) == 4


def test_the_limit_comes_from_tf_config_by_default():
    old = tf.config.experimental.get_trace_cache_size()
    try:
        tf.config.experimental.set_trace_cache_size(2)
        fn = tf.function(lambda x, k: x * k)
        assert fn.trace_cache_size() == 2
        assert len(_calls(fn, [(tf.ones([2]), k) for k in range(4)])) == 1
        assert len(fn.cached_concrete_functions()) == 2
    finally:
        tf.config.experimental.set_trace_cache_size(old)
    assert old == 64


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "8"])
def test_a_bad_limit_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="cache size must be an int >= 1"):
        tf.function(lambda x: x, experimental_trace_cache_size=bad)
    with pytest.raises(ValueError, match="cache size must be an int >= 1"):
        tf.config.experimental.set_trace_cache_size(bad)


def test_a_nan_python_argument_traces_once():
    fn = tf.function(lambda x, a: x * a)
    for _ in range(5):
        out = fn(tf.ones([2]), float("nan"))
    assert fn.experimental_get_tracing_count() == 1
    assert all(v != v for v in out.numpy())


def test_zero_and_negative_zero_python_arguments_are_distinct_traces():
    fn = tf.function(lambda x, a: x / a)
    assert fn(tf.ones([1]), 0.0).numpy()[0] == float("inf")
    assert fn(tf.ones([1]), -0.0).numpy()[0] == float("-inf")


def test_the_test_session_caches_outside_the_home_directory():
    from autograph_jit.runtime import cpu_engine
    directory = cpu_engine.cache_dir()
    home_cache = os.path.join(os.path.expanduser("~"), ".cache")
    assert directory is None or not os.path.abspath(directory).startswith(home_cache)


def test_a_concrete_function_lists_the_shapes_it_compiled_in_order():
    # an unknown inner dim compiles per shape (an unknown batch dim would be one symbolic
    # executable for every size: tests/codegen/test_symbolic_dims.py)
    fn = tf.function(lambda x: x * 2.0, backend="cpu",
                     input_signature=[tf.TensorSpec([2, None], tf.float32)])
    cf = fn.get_concrete_function()
    assert cf.compiled_shapes == ()
    for n in (3, 5, 3):
        fn(tf.ones([2, n]))
    assert cf.compiled_shapes == (((2, 3),), ((2, 5),))
    assert len(cf.native_executables) == 2
    assert fn.cached_concrete_functions() == (cf,)
