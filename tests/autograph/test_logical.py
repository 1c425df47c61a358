"""and_/or_/not_ and assert_stmt: Python semantics on Python values, lazy graph ops on tensors,
run-time checks for asserts and tf.debugging."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.autograph import operators as ag

from .helpers import check, check_all, eager


def test_and_or_on_python_values_return_the_deciding_operand():
    assert ag.and_(lambda: 0, lambda: 1 / 0) == 0
    assert ag.or_(lambda: "a", lambda: 1 / 0) == "a"
    assert ag.and_(lambda: [1], lambda: "b") == "b"
    assert ag.or_(lambda: [], lambda: 5) == 5
    assert ag.not_([]) is True


def test_and_on_tensor_only_evaluates_the_right_side_when_needed():
    def f(x, i):
        if i < 3 and x[i] > 0:  # x[i] would be out of range for i >= 3
            return 1
        return 0
    x = tf.constant([1, -1, 2])
    check_all(f, [(x, tf.constant(0)), (x, tf.constant(1)), (x, tf.constant(5))])


def test_or_and_not_on_tensors_match_eager():
    def f(x, y):
        if not x > 0 or y > 0:
            r = 1
        else:
            r = 2
        return r
    check_all(f, [(tf.constant(a), tf.constant(b)) for a in (1, -1) for b in (1, -1)])


def test_not_of_non_bool_tensor_is_a_zero_test():
    def f(x):
        return 1 if not x else 2
    check_all(f, [(tf.constant(0),), (tf.constant(4),)])


def test_logical_expression_result_can_be_returned():
    def f(x, y):
        return x > 0 and y > 0
    check_all(f, [(tf.constant(1), tf.constant(1)), (tf.constant(1), tf.constant(-1)),
                  (tf.constant(-1), tf.constant(1))])


def test_assert_on_python_value_is_a_python_assert():
    def f(x, n):
        assert n > 0, "n must be positive"
        return x * n
    check(f, tf.constant(2), 3)
    with pytest.raises(AssertionError, match="n must be positive"):
        tf.function(f)(tf.constant(2), 0)


def test_assert_on_tensor_checks_at_run_time_with_user_location():
    @tf.function
    def f(x):
        assert x > 0, "x must be positive"
        return x + 1
    assert f(tf.constant(1.0)).numpy() == 2.0
    with pytest.raises(AssertionError) as info:
        f(tf.constant(-1.0))
    line = f.python_function.__code__.co_firstlineno + 2
    assert str(info.value).startswith(
        f'x must be positive [{__file__}:{line}: assert x > 0, "x must be positive"]')
    assert isinstance(info.value, tf.errors.InvalidArgumentError) if hasattr(
        tf.errors, "InvalidArgumentError") else True
    assert f.experimental_get_tracing_count() == 1


def test_failing_assert_raises_eagerly_too():
    def f(x):
        assert x > 0, "x must be positive"
        return x
    with pytest.raises(AssertionError, match="x must be positive"):
        eager(f, tf.constant(-1.0))


@pytest.mark.parametrize("name,good,bad", [
    ("assert_equal", (1, 1), (1, 2)),
    ("assert_less", (1, 2), (2, 1)),
    ("assert_greater_equal", (2, 2), (1, 2)),
])
def test_tf_debugging_asserts_pass_and_fail_eagerly_and_in_graphs(name, good, bad):
    check_fn = getattr(tf.debugging, name)

    def f(x, y):
        check_fn(x, y)
        return x + y
    for run in (lambda *a: eager(f, *a), tf.function(f)):
        assert run(tf.constant(good[0]), tf.constant(good[1])).numpy() == sum(good)
        with pytest.raises(tf.debugging.AssertionFailedError, match="did not hold"):
            run(tf.constant(bad[0]), tf.constant(bad[1]))


def test_tf_debugging_assert_positive_shows_the_values():
    with pytest.raises(AssertionError, match=r"\[ 1 -2  3\]"):
        tf.debugging.assert_positive(tf.constant([1, -2, 3]))
    assert tf.debugging.assert_positive(tf.constant([1, 2])) is None
    np.testing.assert_equal(True, True)
