"""AutoGraph behaviours checked against TensorFlow 2.x (run with real TF 2.21 on this machine,
/work/scratch/ag_cases.py): set_loop_options, the error types for undefined/deleted variables
and zero-trip loops, loop variables named in messages, and lambdas read inside a loop."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf


def test_set_loop_options_maximum_iterations_stops_a_while_loop_as_tf_does():
    @tf.function
    def f(n):
        s = tf.constant(0)
        while s < n:
            tf.autograph.experimental.set_loop_options(maximum_iterations=5)
            s += 1
        return s
    assert int(f(tf.constant(100))) == 5  # TF 2.x: 5
    assert int(f(tf.constant(3))) == 3


def test_set_loop_options_maximum_iterations_stops_a_for_loop():
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(maximum_iterations=4)
            s += i
        return s
    assert int(f(tf.constant(10))) == 0 + 1 + 2 + 3


def test_set_loop_options_shape_invariants_lets_a_variable_grow_and_types_it_as_declared():
    seen = {}

    @tf.function
    def f(n):
        x = tf.zeros([1])
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[(x, tf.TensorShape([None]))])
            x = tf.concat([x, [1.0]], 0)
        seen["shape"] = x.shape
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the growing loop runs on the host
        np.testing.assert_array_equal(f(tf.constant(3)).numpy(), [0, 1, 1, 1])
    assert seen["shape"].as_list() == [None]  # TF 2.x: (None,)


def test_a_shape_invariant_the_body_breaks_raises_value_error():
    @tf.function
    def f(n):
        x = tf.zeros([1])
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(shape_invariants=[(x, tf.TensorShape([1]))])
            x = tf.concat([x, [1.0]], 0)
        return x
    with pytest.raises(ValueError, match="shape"):
        f(tf.constant(3))


def test_set_loop_options_rejects_a_value_that_is_not_a_loop_variable():
    @tf.function
    def f(n):
        x = tf.zeros([1])
        y = tf.zeros([2])
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(shape_invariants=[(y, tf.TensorShape([None]))])
            x = x + 1.0
        return x
    with pytest.raises(ValueError, match="not a variable of this loop"):
        f(tf.constant(3))


def test_set_loop_options_rejects_unknown_keywords():
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(max_iters=5)
            s += 1
        return s
    with pytest.raises(TypeError, match="max_iters"):
        f(tf.constant(3))


def test_set_loop_options_does_nothing_eagerly_and_in_python_loops():
    s = 0
    for i in range(3):
        tf.autograph.experimental.set_loop_options(maximum_iterations=1)
        s += 1
    assert s == 3


def test_a_loop_variable_whose_shape_changes_is_named_in_the_report():
    @tf.function
    def f(n):
        x = tf.zeros([1])
        for i in tf.range(n):
            x = tf.concat([x, [1.0]], 0)
        return x
    with pytest.warns(RuntimeWarning, match="'x' enters with shape \\[1\\] and the body returns "
                                            "shape \\[2\\]"):
        np.testing.assert_array_equal(f(tf.constant(2)).numpy(), [0, 1, 1])


def test_reading_a_variable_first_set_in_a_zero_trip_loop_is_invalid_argument_as_in_tf():
    @tf.function
    def f(n):
        for i in tf.range(n):
            z = i * 2
        return z
    assert int(f(tf.constant(3))) == 4
    with pytest.raises(tf.errors.InvalidArgumentError) as e:  # TF 2.x: InvalidArgumentError
        f(tf.constant(0))
    assert isinstance(e.value, UnboundLocalError)  # and what Python raises
    assert "'z'" in str(e.value)


def test_a_variable_deleted_in_both_branches_raises_value_error_at_the_if_as_in_tf():
    @tf.function
    def f(x):
        y = x
        if x > 0:
            del y
        else:
            del y
        return y
    with pytest.raises(ValueError, match="both branches delete it") as e:
        f(tf.constant(1))
    assert isinstance(e.value, UnboundLocalError)


def test_a_variable_deleted_in_one_branch_and_read_after_raises_value_error():
    @tf.function
    def f(x):
        y = x
        if x > 0:
            del y
        return y
    with pytest.raises(ValueError, match="'y'"):
        f(tf.constant(1))


def test_a_variable_deleted_in_both_branches_and_not_read_after_is_fine():
    @tf.function
    def f(x):
        y = x
        if x > 0:
            del y
        else:
            del y
        return x + 1
    assert int(f(tf.constant(1))) == 2


def test_a_variable_assigned_on_one_branch_only_raises_value_error_as_in_tf():
    @tf.function
    def f(x):
        if x > 0:
            y = x + 1
        return y
    with pytest.raises(ValueError, match="'y'"):
        f(tf.constant(1))


def test_a_name_read_only_by_a_cond_lambda_in_a_zero_trip_loop_is_not_a_loop_variable():
    # TF 2.x returns n for n == 0 here; `a` is not read after the loop.
    @tf.function
    def f(n):
        for i in tf.range(n):
            if i > 0:
                a = i
            else:
                a = -i
            tf.cond(a > 0, lambda: a, lambda: a)
        return n
    assert int(f(tf.constant(0))) == 0
    assert int(f(tf.constant(3))) == 3


def test_return_only_inside_a_zero_trip_loop_is_invalid_argument_at_run_time_as_in_tf():
    @tf.function
    def first(n):
        for i in tf.range(n):
            return i
    assert int(first(tf.constant(3))) == 0  # TF 2.x: 0
    with pytest.raises(tf.errors.InvalidArgumentError, match="loop must iterate at least once"):
        first(tf.constant(0))  # TF 2.x: InvalidArgumentError with the same words


def test_a_loop_that_returns_on_some_iterations_only_is_refused_while_tracing():
    # TF 2.x refuses this too ("a return statement cannot be placed inside this TensorFlow
    # loop"); we name the branch that can end without a return.
    @tf.function
    def find(x):
        for v in x:
            if v > 2:
                return v
    with pytest.raises(ValueError, match="can reach its end without a return"):
        find(tf.constant([1, 3, 5]))


def test_return_after_a_zero_trip_loop_follows_python():
    # TF 2.x raises InvalidArgumentError here (its return value is uninitialized); Python and
    # eager return -1, and so do we: the deliberate deviation is in docs/differences.md.
    @tf.function
    def f(n):
        for i in tf.range(n):
            return i
        return tf.constant(-1)
    assert int(f(tf.constant(0))) == -1
    assert int(f(tf.constant(3))) == 0
