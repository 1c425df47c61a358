"""Algebraic simplification: each rule of algebra_rules.RULES before/after, and the rules that
must not fire (broadcasting changes the shape)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ops.math_ops import _cast
from autograph_jit.ops.opdef import apply
from autograph_jit.passes import simplify

from .helpers import assert_same_results, ops, spec, trace

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


@pytest.mark.parametrize("fn", [
    lambda x: x * 1.0, lambda x: 1.0 * x, lambda x: x + 0.0, lambda x: 0.0 + x,
    lambda x: x - 0.0, lambda x: x / 1.0, lambda x: -(-x), lambda x: tf.identity(x),
    lambda x: tf.stop_gradient(x), lambda x: tf.transpose(tf.transpose(x)),
    lambda x: tf.reshape(x, [2, 3]), lambda x: apply(_cast, x, dtype=tf.float32),
    lambda x: tf.squeeze(tf.expand_dims(x, 1), [1]), lambda x: tf.pow(x, 1.0),
    lambda x: x * tf.constant(np.ones(3, np.float32)),
], ids=["x*1", "1*x", "x+0", "0+x", "x-0", "x/1", "--x", "identity", "stop_gradient",
        "transpose_transpose", "reshape_same", "cast_same", "expand_squeeze", "pow1",
        "x*ones_row"])
def test_identity_rules_reduce_the_graph_to_its_input(fn):
    g = trace(fn, spec(2, 3))
    after = simplify.run(g)
    assert ops(after) == []
    assert after.results[0] is after.params[0]
    assert_same_results(g, after, X)


@pytest.mark.parametrize("fn,shape", [
    (lambda x: x * tf.constant(np.ones((4, 3), np.float32)), (3,)),
    (lambda x: x + tf.constant(np.zeros((2, 3), np.float32)), (3,)),
    (lambda x: x * tf.constant(np.ones((3, 1), np.float32)), (3,)),
], ids=["x*ones broadcasts", "x+zeros broadcasts", "x*column"])
def test_x_times_one_that_broadcasts_x_to_a_bigger_shape_is_kept(fn, shape):
    g = trace(fn, spec(*shape))
    after = simplify.run(g)
    assert after.results[0] is not after.params[0]
    assert_same_results(g, after, np.arange(3, dtype=np.float32))


def test_x_times_zero_is_not_simplified_because_nan_times_zero_is_nan():
    g = trace(lambda x: x * 0.0, spec(2))
    assert ops(simplify.run(g)) == ["multiply"]


def test_transposes_compose_into_one():
    g = trace(lambda x: tf.transpose(tf.transpose(x, [1, 2, 0]), [1, 2, 0]), spec(2, 3, 4))
    after = simplify.run(g)
    assert ops(after) == ["transpose"]
    node = next(n for n in after.nodes if n.op.name == "transpose")
    assert node.attrs["perm"] == (2, 0, 1)
    assert_same_results(g, after, np.arange(24, dtype=np.float32).reshape(2, 3, 4))


def test_reshape_chain_becomes_one_reshape():
    g = trace(lambda x: tf.reshape(tf.reshape(x, [6]), [3, 2]), spec(2, 3))
    after = simplify.run(g)
    assert ops(after) == ["reshape"]
    assert_same_results(g, after, X)


def test_triple_negation_collapses_in_one_sweep():
    g = trace(lambda x: -(-(-x)), spec(2, 3))
    after = simplify.run(g)
    assert ops(after) == ["negative"]
    assert_same_results(g, after, X)


def test_pow_two_becomes_square():
    g = trace(lambda x: tf.pow(x, 2.0), spec(2, 3))
    after = simplify.run(g)
    assert ops(after) == ["square"]
    assert_same_results(g, after, X)


def test_sum_to_with_static_shapes_becomes_reduce_sum():
    def f(x, b):
        with tf.GradientTape() as tape:
            tape.watch(b)
            y = tf.reduce_sum(x + b)
        return tape.gradient(y, b)
    g = trace(f, spec(4, 3), spec(3))
    assert "sum_to" in ops(g)
    after = simplify.run(g)
    assert "sum_to" not in ops(after) and "reduce_sum" in ops(after)
    assert_same_results(g, after, np.ones((4, 3), np.float32), np.zeros(3, np.float32))


def test_relu_gradient_mask_reads_the_relu_output():
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.nn.relu(x))
        return tape.gradient(y, x)
    g = trace(f, spec(2, 3))
    after = simplify.run(g)
    greater = next(n for n in after.nodes if n.op.name == "greater")
    assert greater.inputs[0].node.op.name == "relu"
    assert_same_results(g, after, X)


def test_rules_apply_inside_cond_branches():
    def f(x, p):
        return tf.cond(p, lambda: tf.print("then") or x * 1.0, lambda: -(-x))
    g = trace(f, spec(2), spec(dtype=tf.bool))
    after = simplify.run(g)
    cond = next(n for n in after.nodes if n.op.name == "cond")
    assert [n.op.name for n in cond.attrs["then_branch"].nodes] == ["print"]
    assert cond.attrs["else_branch"].nodes == []
    x = np.array([1.0, -2.0], np.float32)
    assert_same_results(g, after, x, np.array(False))


def test_a_cond_whose_branches_simplify_to_the_same_value_is_that_value():
    g = trace(lambda x, p: tf.cond(p, lambda: x * 1.0, lambda: -(-x)), spec(100),
              spec(dtype=tf.bool))
    after = simplify.run(g)
    assert ops(after) == [] and after.results[0] is after.params[0]


def test_bias_add_on_the_last_axis_becomes_an_add_that_fusion_understands():
    g = trace(lambda x, b: tf.nn.bias_add(x, b), spec(2, 3), spec(3))
    after = simplify.run(g)
    assert ops(after) == ["add"]
    assert_same_results(g, after, X, np.array([1.0, -2.0, 0.5], np.float32))


def test_bias_add_on_the_channel_axis_of_nchw_is_kept():
    g = trace(lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), spec(2, 3, 4, 4), spec(3))
    assert ops(simplify.run(g)) == ["bias_add"]


def test_a_cond_on_tiny_pure_branches_becomes_selects():
    def f(x, n, p):
        return tf.cond(p, lambda: (x + 1.0, n * 2), lambda: (x, n))
    g = trace(f, spec(), spec(dtype=tf.int32), spec(dtype=tf.bool))
    after = simplify.run(g)
    assert "cond" not in ops(after) and ops(after).count("select") == 2
    for p in (True, False):
        assert_same_results(g, after, np.float32(1.5), np.int32(3), np.array(p))


def test_flag_conds_collapse_to_logic():
    def f(p, q):
        a = tf.cond(p, lambda: tf.constant(True), lambda: tf.constant(False))
        b = tf.cond(p, lambda: tf.constant(True), lambda: q)
        c = tf.cond(p, lambda: q, lambda: p)
        return a, b, c
    g = trace(f, spec(dtype=tf.bool), spec(dtype=tf.bool))
    after = simplify.run(g)
    assert ops(after) == ["logical_or", "logical_and"]
    assert after.results[0] is after.params[0]
    for p in (True, False):
        for q in (True, False):
            assert_same_results(g, after, np.array(p), np.array(q))


@pytest.mark.parametrize("fn", [
    lambda x, p: tf.cond(p, lambda: x * 2.0, lambda: x),                    # values too big
    lambda x, p: tf.cond(p, lambda: tf.print("x") or x[:2], lambda: x[:2]),  # an effect
    lambda x, p: tf.cond(p, lambda: tf.reduce_sum(x), lambda: x[0]),        # not elementwise
], ids=["large", "effect", "reduction"])
def test_conds_that_must_stay_branches_are_kept(fn):
    g = trace(fn, spec(100), spec(dtype=tf.bool))
    assert "cond" in ops(simplify.run(g))


def test_integer_division_in_a_branch_keeps_the_cond():
    g = trace(lambda a, b, p: tf.cond(p, lambda: a // b, lambda: a), spec(dtype=tf.int32),
              spec(dtype=tf.int32), spec(dtype=tf.bool))
    assert "cond" in ops(simplify.run(g))


def test_a_cond_whose_branches_differ_in_shape_stays_a_cond():
    g = trace(lambda p: tf.cond(p, lambda: tf.zeros([2]), lambda: tf.zeros([3])),
              spec(dtype=tf.bool))
    assert "cond" in ops(simplify.run(g))


def test_splat_constant_operand_of_an_elementwise_op_becomes_a_scalar():
    g = trace(lambda x: x * tf.constant(np.full((2, 3), 0.5, np.float32)), spec(2, 3))
    after = simplify.run(g)
    (mul,) = [n for n in after.nodes if n.op.name == "multiply"]
    assert mul.inputs[1].type.shape.rank == 0
    assert_same_results(g, after, X)


def test_splat_constant_that_sets_the_result_shape_stays_whole():
    g = trace(lambda x: x * tf.constant(np.full((4, 3), 0.5, np.float32)), spec(3))
    after = simplify.run(g)
    (mul,) = [n for n in after.nodes if n.op.name == "multiply"]
    assert mul.inputs[1].type.shape.as_list() == [4, 3]
    assert_same_results(g, after, np.arange(3, dtype=np.float32))


def test_integer_division_by_a_nonzero_constant_is_if_converted():
    # Collatz: n // 2 if n % 2 == 0 else 3 * n + 1 -- dividing by 2 cannot raise on either path
    g = trace(lambda n: tf.cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1),
              spec(dtype=tf.int32))
    after = simplify.run(g)
    assert "cond" not in ops(after) and "select" in ops(after)
    for n in (6, 7, -3):
        assert_same_results(g, after, np.int32(n))
