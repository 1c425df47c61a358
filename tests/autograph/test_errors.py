"""Errors from converted code: exact messages naming the variable, branch, dtypes, and the
user's file, line and source text — never generated code or converter frames."""
import traceback

import pytest

import autograph_jit as tf

from .helpers import eager

FILE = __file__


def _line(fn, offset):
    return fn.__code__.co_firstlineno + offset


def test_variable_assigned_only_in_if_branch_names_it_the_branch_and_the_line():
    def f(x):
        if x > 0:
            y = x * 2
        return y
    assert eager(f, tf.constant(1.0)).numpy() == 2.0  # fine eagerly on this path
    with pytest.raises(ValueError) as info:
        tf.function(f)(tf.constant(1.0))
    assert str(info.value) == (
        "'y' is assigned only in the if branch of this tensor-dependent `if`; it must also be "
        "assigned in the else branch (or before the `if`), because the condition is a tensor "
        "and both branches become one graph op that must produce 'y' either way. Fix: give "
        "'y' a value on both paths.\n\n"
        f'  File "{FILE}", line {_line(f, 1)}, in f\n'
        "    if x > 0:")


def test_branch_dtype_mismatch_names_the_variable_and_both_dtypes():
    def f(x):
        if x > 0:
            y = x * 2
        else:
            y = tf.constant(1)
        return y
    with pytest.raises(TypeError) as info:
        tf.function(f)(tf.constant(1.0))
    assert str(info.value).startswith(
        "'y' is float32 in the if branch but int32 in the else branch of a tensor-dependent "
        "`if`; a graph cond needs one dtype for it. Fix: tf.cast one branch's value (e.g. "
        "tf.cast(y, tf.float32)).")
    assert f'File "{FILE}", line {_line(f, 1)}, in f' in str(info.value)


def test_collatz_on_int32_names_a_and_both_dtypes():
    @tf.function
    def collatz(a):
        while not tf.equal(a, 1):
            if tf.equal(a % 2, 0):
                a = a / 2
            else:
                a = 3 * a + 1
        return a
    assert collatz(tf.constant(12.0)).numpy() == 1.0
    with pytest.raises(TypeError) as info:
        collatz(tf.constant(12))
    msg = str(info.value)
    assert "'a'" in msg and "int32" in msg and "float64" in msg


def test_loop_variable_dtype_change_names_the_variable_and_both_dtypes():
    def f(n):
        x = tf.constant(1)
        for i in tf.range(n):
            x = tf.cast(x, tf.float32) * 2.0
        return x
    with pytest.raises(TypeError) as info:
        tf.function(f)(tf.constant(3))
    assert str(info.value).startswith(
        "'x' enters this graph loop as int32 but the loop body makes it float32; a loop "
        "variable keeps one dtype.")
    assert f'line {_line(f, 2)}, in f\n    for i in tf.range(n):' in str(info.value)


def test_variable_first_assigned_in_graph_loop_is_usable_after_it_like_eager():
    def f(n):
        for i in tf.range(n):
            y = i * 2
            last = tf.cast(i, tf.float32)
        return y + 1, last
    for backend in ("cpu", "eager"):
        got = tf.function(f, backend=backend)(tf.constant(3))
        assert [int(got[0]), float(got[1])] == [5, 2.0]


def test_variable_first_assigned_in_graph_loop_that_ran_zero_times_raises_unbound_local():
    def f(n):
        for i in tf.range(n):
            y = i * 2
        return y
    with pytest.raises(UnboundLocalError):
        eager(f, tf.constant(0))
    with pytest.raises(UnboundLocalError) as info:
        tf.function(f)(tf.constant(0))
    assert str(info.value).startswith("'y' first assigned in the body of this graph loop and "
                                      "read after it, but the loop ran zero times")
    assert f"{FILE}:{_line(f, 1)}: for i in tf.range(n):" in str(info.value)


def test_variable_assigned_on_one_path_of_a_graph_loop_body_is_named_not_a_placeholder():
    def f(x):
        for v in x:
            if v > 0:
                last = v
        return last
    with pytest.raises(ValueError, match="'last' is assigned only in the if branch"):
        tf.function(f)(tf.constant([1.0, -1.0]))


def test_return_on_one_path_of_a_tensor_if_only_is_an_error_not_a_silent_none():
    def f(x):
        if x > 0:
            return x
    assert eager(f, tf.constant(-1.0)) is None
    with pytest.raises(ValueError, match="can reach its end without a return"):
        tf.function(f)(tf.constant(1.0))


def test_return_inside_graph_loop_without_final_return_is_an_error():
    def f(x):
        for i in tf.range(3):
            if x[i] > 0:
                return i
    with pytest.raises(ValueError, match="can reach its end without a return"):
        tf.function(f)(tf.constant([1, 2, 3]))


def fact(n):
    if n <= 1:
        return tf.constant(1)
    return n * fact(n - 1)


def test_recursion_with_a_tensor_base_case_fails_at_once_with_its_line():
    @tf.function
    def g(n):
        return fact(n)
    assert g(5).numpy() == 120  # a Python base case unrolls at trace time
    with pytest.raises(RecursionError) as info:
        g(tf.constant(5))
    msg = str(info.value)
    assert msg.startswith("'fact' calls itself inside a branch or loop that depends on a tensor")
    assert f'line {_line(fact, 3)}, in' in msg and "return n * fact(n - 1)" in msg


def test_python_list_appended_non_tensors_in_graph_loop_points_to_tensor_array():
    def f(n):
        names = []
        for i in tf.range(n):
            names.append("step")
        return n
    with pytest.raises(TypeError, match="tf.TensorArray"):
        tf.function(f)(tf.constant(2))


def test_python_value_rebound_to_a_tensor_in_graph_loop_is_named():
    def f(n):
        best = None
        for i in tf.range(n):
            best = i
        return best
    with pytest.raises(TypeError, match="'best' is None before this graph loop"):
        tf.function(f)(tf.constant(2))


def test_op_error_in_converted_code_points_at_the_user_line():
    def f(x):
        if x[0] > 0:
            y = tf.reshape(x, [2, 2])
        else:
            y = x
        return y
    with pytest.raises(Exception) as info:
        tf.function(f)(tf.constant([1.0, 2.0, 3.0]))
    # the user's function, not the generated branch function, is named
    assert f'File "{FILE}", line {_line(f, 2)}, in f\n    y = tf.reshape(x, [2, 2])' in \
        str(info.value)


def test_traceback_shows_user_frames_and_hides_converter_frames():
    @tf.function
    def f(x):
        if x > 0:
            y = x
        return y
    with pytest.raises(ValueError) as info:
        f(tf.constant(1.0))
    files = {fr.filename for fr in traceback.extract_tb(info.value.__traceback__)}
    assert not any("/autograph_jit/autograph/" in name for name in files), files
    assert FILE in files


def test_reading_a_variable_no_path_assigned_raises_unbound_local_error():
    def f(x, flag):
        if flag:
            y = x
        return y
    with pytest.raises(UnboundLocalError, match="'y'"):
        tf.function(f)(tf.constant(1.0), False)


@tf.function
def fact_fn(n):
    if n <= 1:
        return 1
    return n * fact_fn(n - 1)


def test_recursive_tf_function_with_a_tensor_base_case_fails_at_once():
    with pytest.raises(RecursionError, match="'fact_fn' calls itself"):
        fact_fn(tf.constant(4))
