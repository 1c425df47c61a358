"""Constant folding: before/after on small traced graphs."""
import io

import numpy as np

import autograph_jit as tf
from autograph_jit.passes import constant_fold
from autograph_jit.passes.constant_fold import MAX_FOLD_ELEMENTS

from .helpers import assert_same_results, ops, run, spec, trace


def test_a_chain_of_constant_ops_folds_to_one_constant():
    def f(x):
        c = tf.exp(tf.constant([0.0, 1.0])) * 2.0 + 1.0
        return x + c
    g = trace(f, spec(2))
    assert ops(g) == ["exp", "multiply", "add", "add"]
    after = constant_fold.run(g)
    assert ops(after) == ["add"]
    assert_same_results(g, after, np.array([1.0, 2.0], np.float32))


def test_folding_uses_the_eager_kernel_value_exactly():
    def f():
        return tf.sqrt(tf.constant(2.0)) / 3.0
    after = constant_fold.run(trace(f))
    assert ops(after) == []
    assert run(after)[0] == (tf.sqrt(tf.constant(2.0)) / 3.0).numpy()


def test_shape_only_inputs_fold_when_the_shape_is_static():
    def f(x):
        return x + tf.zeros_like(x) + tf.ones_like(x)
    g = trace(f, spec(4))
    after = constant_fold.run(g)
    assert ops(after) == ["add", "add"]
    assert_same_results(g, after, np.arange(4, dtype=np.float32))


def test_shape_only_inputs_with_unknown_dims_do_not_fold():
    g = trace(lambda x: tf.zeros_like(x), spec(None))
    assert ops(constant_fold.run(g)) == ["zeros_like"]


def test_results_above_the_size_cap_are_left_to_run_time():
    n = MAX_FOLD_ELEMENTS + 1

    def f(x):
        return x + tf.fill([n], 2.0)
    after = constant_fold.run(trace(f, spec(n)))
    assert "fill" in ops(after)


def test_a_kernel_that_fails_is_left_in_place_so_the_error_happens_at_run_time():
    from autograph_jit.ops.array_ops import _reshape

    g = trace(lambda: tf.reshape(tf.constant([1.0, 2.0, 3.0]), [-1]))
    assert ops(constant_fold.run(g)) == []
    node = next(n for n in g.nodes if n.op is _reshape)
    bad = np.array([2], np.int32)  # 3 values cannot become [2]: the kernel raises
    node.inputs[1].node.attrs["value"] = bad
    assert ops(constant_fold.run(g)) == ["reshape"]


def test_effectful_ops_never_fold():
    out = io.StringIO()

    def f():
        tf.print(tf.constant(1.0) + 1.0, output_stream=out)
        return tf.random.uniform([2], seed=1)
    after = constant_fold.run(trace(f))
    assert ops(after)[:2] == ["print", "random_uniform"]


def test_folding_reaches_inside_while_loop_regions():
    def f(x):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 100.0,
                             lambda v: v * (tf.constant(1.0) + 1.0), [x])[0]
    g = trace(f, spec(2))
    after = constant_fold.run(g)
    body = next(n for n in after.nodes if n.op.name == "while_loop").attrs["body"]
    assert [n.op.name for n in body.nodes if n.op.name != "constant"] == ["multiply"]
    assert_same_results(g, after, np.array([1.0, 2.0], np.float32))


def test_the_input_graph_is_not_changed():
    g = trace(lambda x: x + tf.exp(tf.constant(1.0)), spec(2))
    text = str(g)
    constant_fold.run(g)
    assert str(g) == text


def test_a_cond_on_a_constant_predicate_becomes_the_branch_it_takes():
    out = io.StringIO()

    def f(x):
        p = tf.constant(3) > 2
        return tf.cond(p, lambda: tf.print("then", output_stream=out) or x * 2.0,
                       lambda: x - 1.0)
    g = trace(f, spec(2))
    assert "cond" in ops(g)
    after = constant_fold.run(g)
    assert ops(after) == ["print", "multiply"]
    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(run(after, x)[0], [2.0, 4.0])
    assert out.getvalue() == "then\n"
