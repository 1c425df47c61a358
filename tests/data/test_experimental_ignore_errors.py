"""tf.data.experimental.ignore_errors as TF: map and filter functions that raise drop that
element and the dataset goes on (TF 2.x gives [1.0, 0.5, 0.25] for the example below)."""
import pytest

import autograph_jit as tf


def _reciprocals(parallel=None):
    ds = tf.data.Dataset.from_tensor_slices([1., 2., 0., 4.])
    return ds.map(lambda x: tf.debugging.check_numerics(1. / x, "error"),
                  num_parallel_calls=parallel)


def test_ignore_errors_drops_the_failing_element_and_goes_on():
    got = [float(x) for x in _reciprocals().apply(tf.data.experimental.ignore_errors())]
    assert got == [1.0, 0.5, 0.25]


def test_ignore_errors_works_with_a_parallel_map_and_later_batching():
    ds = _reciprocals(parallel=2).apply(tf.data.experimental.ignore_errors()).batch(2)
    assert [b.numpy().tolist() for b in ds] == [[1.0, 0.5], [0.25]]


def test_ignore_errors_drops_elements_whose_filter_predicate_raised():
    ds = tf.data.Dataset.range(6).filter(
        lambda x: tf.debugging.check_numerics(1.0 / tf.cast(x - 3, tf.float32), "e") > 0)
    assert [int(x) for x in ds.apply(tf.data.experimental.ignore_errors())] == [4, 5]


def test_without_ignore_errors_the_error_reaches_the_loop():
    with pytest.raises(tf.errors.InvalidArgumentError, match="error"):
        list(_reciprocals())


def test_log_warning_warns_for_each_dropped_element():
    with pytest.warns(RuntimeWarning, match="dropped an element"):
        list(_reciprocals().apply(tf.data.experimental.ignore_errors(log_warning=True)))
