"""if_stmt / if_exp: a Python or statically known condition runs one branch at trace time; a
tensor condition becomes one cond node; branch values reconcile as eager Python would."""
import sys

import pytest

import autograph_jit as tf

from .helpers import assert_same, check, check_all, eager, ops_in


def test_if_on_python_value_traces_only_the_taken_branch():
    def f(x, flag):
        if flag:
            x = x + 1.0
        else:
            x = x - 1.0
        return x
    traced = check(f, tf.constant(1.0), True)
    check(f, tf.constant(1.0), False)
    assert "cond" not in ops_in(traced.get_concrete_function(tf.constant(1.0), True).graph)


@pytest.mark.parametrize("value", [3.0, -2.0])
def test_if_on_tensor_is_one_cond_node_matching_eager(value):
    def f(x):
        if x > 0:
            y = x * 2.0
        else:
            y = -x
        return y
    traced = check(f, tf.constant(value))
    assert ops_in(traced.get_concrete_function(tf.constant(1.0)).graph).count("cond") == 1


def test_elif_chain_on_tensors_matches_eager():
    def grade(x):
        if x > 90:
            g = 4
        elif x > 75:
            g = 3
        elif x > 50:
            g = 2
        else:
            g = 0
        return g
    traced = check_all(grade, [(tf.constant(v),) for v in (95, 80, 60, 10)])
    assert traced.experimental_get_tracing_count() == 1


def test_statically_known_condition_never_traces_the_dead_branch():
    def f(x):
        if tf.shape(x)[0] == 3:
            return x * 2.0
        return tf.reshape(x, [2, 2])  # invalid for 3 elements: must not be traced
    traced = check(f, tf.constant([1.0, 2.0, 3.0]))
    check(f, tf.constant([1.0, 2.0, 3.0, 4.0]))
    assert "cond" not in ops_in(traced.get_concrete_function(tf.ones([3])).graph)


def test_condition_on_static_shape_attribute_decides_at_trace_time():
    def f(x):
        if x.shape[0] > 2:
            x = tf.reduce_sum(x)
        return x
    check(f, tf.constant([1.0, 2.0, 3.0]))
    check(f, tf.constant([1.0, 2.0]))


def test_python_number_on_one_branch_takes_the_other_branch_dtype():
    def f(x):
        if x > 0:
            y = x * 2.0
        else:
            y = 0
        return y
    traced = check_all(f, [(tf.constant(3.0),), (tf.constant(-3.0),)])
    assert traced(tf.constant(-1.0)).dtype == tf.float32


def test_different_python_numbers_on_the_branches_become_a_tensor():
    def f(x):
        if x > 0:
            k = 1
        else:
            k = 2
        return x * k
    check_all(f, [(tf.constant(3),), (tf.constant(-3),)])


def test_tuple_valued_variable_merges_leaf_by_leaf():
    def f(x):
        if x > 0:
            pair = (x, x + 1.0)
        else:
            pair = (-x, 0.0)
        return pair[0] + pair[1] * 10.0
    check_all(f, [(tf.constant(2.0),), (tf.constant(-2.0),)])


def test_temporary_assigned_on_one_branch_and_not_used_after_is_fine():
    def f(x):
        if x > 0:
            t = x * 3.0
            x = t + 1.0
        return x
    check_all(f, [(tf.constant(2.0),), (tf.constant(-2.0),)])


def test_unchanged_python_values_stay_python_after_a_staged_if():
    def f(x):
        scale = 3
        if x > 0:
            x = x + 1
        else:
            x = x - 1
        return x * scale if scale == 3 else x
    check_all(f, [(tf.constant(2),), (tf.constant(-2),)])


def test_conditional_expression_on_tensor_matches_eager():
    def f(x):
        return x * 2 if x > 0 else -x
    traced = check_all(f, [(tf.constant(3),), (tf.constant(-3),)])
    assert "cond" in ops_in(traced.get_concrete_function(tf.constant(1)).graph)


def test_conditional_expression_on_python_value_evaluates_one_side():
    calls = []

    def side(v):
        calls.append(v)
        return v

    def f(x, flag):
        return side(x + 1) if flag else side(x - 1)
    check(f, tf.constant(1), True)
    assert len(calls) == 2  # once eagerly, once while tracing: the other side never ran


def test_variable_assign_in_both_branches_runs_only_the_taken_branch():
    v_e, v_g = tf.Variable(0.0), tf.Variable(0.0)

    def make(v):
        def f(x):
            if x > 0:
                v.assign_add(x)
            else:
                v.assign_sub(1.0)
            return v.read_value()
        return f
    traced = tf.function(make(v_g))
    for x in (2.0, -5.0, 3.0):
        assert_same(traced(tf.constant(x)), eager(make(v_e), tf.constant(x)))
    assert v_e.numpy() == v_g.numpy() == 4.0


def test_tf_print_inside_tensor_if_prints_only_on_the_taken_branch(capsys):
    @tf.function
    def f(x):
        if x > 0:
            tf.print("pos", x, output_stream=sys.stdout)
        else:
            tf.print("neg", x, output_stream=sys.stdout)
        return x
    f(tf.constant(1))
    f(tf.constant(-1))
    assert capsys.readouterr().out.split() == ["pos", "1", "neg", "-1"]


def test_early_return_from_tensor_if_matches_eager():
    def f(x):
        if x > 0:
            return x * 10
        y = x - 1
        return y * 2
    check_all(f, [(tf.constant(3),), (tf.constant(-3),)])


def test_return_in_both_branches_matches_eager():
    def f(x):
        if x > 0 and x < 10:
            return 1
        elif not x > 0 or x > 50:
            return 2
        return 3
    check_all(f, [(tf.constant(5),), (tf.constant(-1),), (tf.constant(20),)])


def test_nested_ifs_on_tensors_match_eager():
    def f(x, y):
        r = tf.constant(0)
        if x > 0:
            if y > 0:
                r = x + y
            else:
                r = x - y
        elif y > 0:
            r = y
        return r
    check_all(f, [(tf.constant(a), tf.constant(b)) for a in (1, -1) for b in (2, -2)])


def test_python_list_appended_in_one_branch_of_tensor_if_is_named():
    @tf.function
    def f(x):
        seen = []
        if x > 0:
            seen.append(x)
        return x
    with pytest.raises(TypeError, match="'seen' is a Python list changed in the if branch"):
        f(tf.constant(1.0))


def test_gradient_through_a_converted_tensor_if_matches_eager():
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            if x > 0:
                y = x * x
            else:
                y = -x
        return tape.gradient(y, x)
    check_all(f, [(tf.constant(3.0),), (tf.constant(-3.0),)])
