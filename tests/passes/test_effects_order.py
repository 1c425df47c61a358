"""Effects never reorder and never disappear: tf.print output, variable values and RNG draws
are the same with every pass on as with every pass off (backend="eager")."""
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf

ALL_OFF = {"disable_meta_optimizer": True}


def _program(out, v, w):
    def f(x):
        tf.print("start", x, output_stream=out)
        a = tf.random.uniform([3], seed=11)
        v.assign_add(x * 1.0)                      # simplified, fused around, never dropped
        tf.print("v =", v, output_stream=out)
        b = tf.random.normal([3], seed=12)
        w.assign(v * 2.0)
        unused = tf.random.uniform([3], seed=13)  # noqa: F841  (advances the stream)
        tf.print("w =", w, output_stream=out)
        v.assign_sub(tf.ones([3]))
        c = tf.random.uniform([3], seed=11)
        tf.print("end", v.read_value() + w.read_value(), output_stream=out)
        return a, b, c
    return f


def _run(options):
    out = io.StringIO()
    v, w = tf.Variable(np.zeros(3, np.float32)), tf.Variable(np.zeros(3, np.float32))
    f = tf.function(_program(out, v, w), backend="eager", optimizer_options=options)
    tf.random.set_seed(1234)
    results = [f(tf.constant([1.0, 2.0, 3.0])) for _ in range(2)]
    return out.getvalue(), v.numpy(), w.numpy(), [[t.numpy() for t in r] for r in results], f


def test_prints_assigns_and_random_draws_match_with_all_passes_on_and_off():
    text_on, v_on, w_on, draws_on, f = _run(None)
    text_off, v_off, w_off, draws_off, _ = _run(ALL_OFF)
    assert text_on == text_off and text_on.count("start") == 2
    np.testing.assert_array_equal(v_on, v_off)
    np.testing.assert_array_equal(w_on, w_off)
    for a, b in zip(draws_on, draws_off):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    cf = f.get_concrete_function(tf.constant([1.0, 2.0, 3.0]))
    kept = [n.op.name for n in cf.optimized_graph.nodes
            if n.op.effects and n.op.name != "read_variable"]
    traced = [n.op.name for n in cf.graph.nodes if n.op.effects and n.op.name != "read_variable"]
    assert kept == traced  # same effects, same order


@pytest.mark.parametrize("flag", [True, False])
def test_effects_inside_cond_and_while_keep_their_order(flag):
    def run(options):
        out = io.StringIO()
        v = tf.Variable(0.0)

        def f(p):
            def body(i):
                tf.print("iteration", i, output_stream=out)
                v.assign_add(tf.cast(i, tf.float32) * 1.0)
                return (i + 1,)
            tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
            tf.cond(p, lambda: v.assign(v * 10.0), lambda: v.assign(v - 1.0))
            tf.print("v", v, output_stream=out)
            return v.read_value()
        g = tf.function(f, backend="eager", optimizer_options=options)
        r = g(tf.constant(flag))
        return out.getvalue(), float(r), v.numpy()
    assert run(None) == run(ALL_OFF)


EFFECT_STEP = st.tuples(st.sampled_from(["print", "assign", "assign_add", "read", "uniform",
                                         "math", "cond", "loop"]),
                        st.integers(0, 2), st.integers(0, 20))


def _cond_step(v, a, out):
    def then():
        v.assign_add(a * 1.0)
        return tf.reduce_sum(v.read_value())

    def else_():
        tf.print("else", a, output_stream=out)
        return tf.reduce_sum(a + 0.0)
    return tf.cond(a[0] > 0.0, then, else_) + a


def _loop_step(v, a, out):
    def body(i, acc):
        tf.print("loop", i, output_stream=out)
        v.assign_add(acc * 0.5)
        return i + 1, acc + tf.exp(a * 0.1)  # exp(a * 0.1) is loop-invariant
    return tf.while_loop(lambda i, acc: i < 2, body, [tf.constant(0), a])[1]


@settings(max_examples=25, deadline=None)
@given(st.lists(EFFECT_STEP, min_size=1, max_size=10))
def test_random_effect_sequences_behave_the_same_optimized(steps):
    def run(options):
        out = io.StringIO()
        variables = [tf.Variable(np.full(2, float(i), np.float32)) for i in range(3)]

        def f(x):
            values = [x]
            for kind, k, j in steps:
                v, a = variables[k], values[j % len(values)]
                if kind == "print":
                    tf.print(kind, k, a, output_stream=out)
                elif kind == "assign":
                    v.assign(a * 1.0 + 0.0)
                elif kind == "assign_add":
                    v.assign_add(tf.exp(a * 0.1))
                elif kind == "read":
                    values.append(v.read_value() * 2.0)
                elif kind == "cond":
                    values.append(_cond_step(v, a, out))
                elif kind == "loop":
                    values.append(_loop_step(v, a, out))
                elif kind == "uniform":
                    values.append(tf.random.uniform([2], seed=j) + a)
                else:
                    values.append(tf.tanh(a) + v)
            return values[-1]
        g = tf.function(f, backend="eager", optimizer_options=options)
        tf.random.set_seed(7)
        r = [g(tf.constant([0.5, -1.0])).numpy() for _ in range(2)]
        return out.getvalue(), [v.numpy().tolist() for v in variables], [x.tolist() for x in r]
    assert run(None) == run(ALL_OFF)


@pytest.mark.parametrize("backend", ["eager", "cpu"])
def test_a_variable_written_inside_a_python_callback_is_read_after_it(backend):
    # (a py_function / numpy_function may write any variable: the optimizer must not move a
    # read of one from after the callback to before it, as it may past a tf.print)
    v = tf.Variable(0.0)

    def bump():
        v.assign_add(100.0)
        return np.float32(0)

    @tf.function(backend=backend)
    def f(x):
        tf.numpy_function(bump, [], tf.float32)
        v.assign_add(x)
        return v.read_value()
    assert float(f(tf.constant(1.0))) == 101.0 and float(v.numpy()) == 101.0
    py = tf.function(lambda x: (tf.py_function(bump, [], tf.float32), v.assign_add(x))[1],
                     backend=backend)
    py(tf.constant(1.0))
    assert float(v.numpy()) == 202.0
