"""CSE: identical pure nodes merge; effects never merge; variable reads are forwarded and
moved up the token chain without reordering prints, writes or RNG draws."""
import io

import numpy as np

import autograph_jit as tf
from autograph_jit.passes import cse

from .helpers import assert_same_results, ops, run, spec, trace


def test_identical_pure_nodes_merge_into_one():
    def f(x, y):
        return tf.exp(x + y) * tf.exp(x + y)
    g = trace(f, spec(3), spec(3))
    assert ops(g) == ["add", "exp", "add", "exp", "multiply"]
    after = cse.run(g)
    assert ops(after) == ["add", "exp", "multiply"]
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, 0.0, -1.0], np.float32)
    assert_same_results(g, after, a, b)


def test_nodes_with_different_attributes_stay_apart():
    g = trace(lambda x: tf.reduce_sum(x, 0) + tf.reduce_sum(x, 1), spec(3, 3))
    assert ops(cse.run(g)).count("reduce_sum") == 2


def test_equal_constants_merge_and_different_ones_do_not():
    g = trace(lambda x: x * tf.constant([1.0, 2.0]) + x * tf.constant([1.0, 2.0])
              + tf.constant([1.0, 3.0]), spec(2))
    after = cse.run(g)
    consts = [n for n in after.nodes if n.op.name == "constant"]
    assert len(consts) == 2
    assert ops(after) == ["multiply", "add", "add"]


def test_two_prints_of_the_same_value_both_stay():
    out = io.StringIO()

    def f(x):
        tf.print(x, output_stream=out)
        tf.print(x, output_stream=out)
        return x
    after = cse.run(trace(f, spec(2)))
    assert ops(after) == ["print", "print"]
    run(after, np.array([1.0, 2.0], np.float32))
    assert out.getvalue() == "[1 2]\n[1 2]\n"


def test_two_random_draws_with_the_same_attributes_stay_two():
    def f():
        return tf.random.uniform([3], seed=5) - tf.random.uniform([3], seed=5)
    after = cse.run(trace(f))
    assert ops(after).count("random_uniform") == 2


def test_repeated_reads_of_a_variable_become_one():
    v = tf.Variable([1.0, 2.0])

    def f(x):
        return v * x + v
    g = trace(f, spec(2))
    assert ops(g).count("read_variable") == 2
    after = cse.run(g)
    assert ops(after).count("read_variable") == 1
    assert_same_results(g, after, np.array([3.0, 4.0], np.float32))


def test_a_read_after_an_assign_sees_the_assigned_value_without_reading():
    v = tf.Variable([1.0, 2.0])

    def f(x):
        v.assign(x * 2.0)
        return v.read_value() + 1.0
    g = trace(f, spec(2))
    after = cse.run(g)
    assert ops(after) == ["multiply", "assign_variable", "add"]
    x = np.array([5.0, 6.0], np.float32)
    np.testing.assert_array_equal(run(after, x)[0], [11.0, 13.0])
    np.testing.assert_array_equal(v.numpy(), [10.0, 12.0])


def test_a_cond_that_writes_the_variable_blocks_forwarding():
    v = tf.Variable(1.0)

    def f(p):
        a = v.read_value()
        tf.cond(p, lambda: v.assign_add(10.0), lambda: v.assign_add(0.0))
        return a + v.read_value()
    g = trace(f, spec(dtype=tf.bool))
    after = cse.run(g)
    assert ops(after).count("read_variable") == 2
    assert float(run(after, np.array(True))[0]) == 1.0 + 11.0


def test_reads_move_up_past_other_variables_writes_but_prints_and_writes_keep_order():
    out = io.StringIO()
    a, b = tf.Variable(1.0), tf.Variable(2.0)

    def f(x):
        tf.print("first", output_stream=out)
        a.assign(x)
        tf.print("second", output_stream=out)
        b.assign(b + a)  # reads b (movable to the start) and a (forwarded from the assign)
        return b.read_value()
    g = trace(f, spec())
    after = cse.run(g)
    effects = [n.op.name for n in after.nodes if n.op.effects]
    assert effects == ["read_variable", "print", "assign_variable", "print", "assign_variable"]
    assert [n.op.name for n in g.nodes if n.op.effects if n.op.name != "read_variable"] == [
        "print", "assign_variable", "print", "assign_variable"]
    assert float(run(after, np.float32(5.0))[0]) == 7.0
    assert out.getvalue() == "first\nsecond\n"
