"""tf.cond and tf.while_loop: eager and traced results agree, captures become region params,
loop-var structures, maximum_iterations, shape invariants/relaxation, effects and gradients."""
import sys

import numpy as np
import pytest

import autograph_jit as tf

from .._compare import assert_same


def _np(t):
    return np.asarray(t.numpy())


def _eager_and_traced(fn, *args):
    """Results of fn(*args) run eagerly and through tf.function(autograph=False)."""
    traced = tf.function(fn, autograph=False)
    return fn(*args), traced(*args), traced


# -- cond ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3.0, -2.0])
def test_cond_eager_and_traced_agree_on_both_branches(value):
    def f(x):
        return tf.cond(x > 0, lambda: x * 2.0, lambda: tf.square(x) + 1.0)
    eager, traced, _ = _eager_and_traced(f, tf.constant(value))
    assert_same(traced, eager)


def test_traced_cond_runs_the_branch_chosen_at_call_time():
    @tf.function(autograph=False)
    def f(x):
        return tf.cond(x > 0, lambda: x + 100, lambda: x - 100)
    np.testing.assert_array_equal(_np(f(tf.constant(1))), 101)
    np.testing.assert_array_equal(_np(f(tf.constant(-1))), -101)
    assert f.experimental_get_tracing_count() == 1


def test_cond_captures_outer_tensors_as_region_params():
    @tf.function(autograph=False)
    def f(x, a, b):
        return tf.cond(x > 0, lambda: a * x, lambda: b - x)
    cf = f.get_concrete_function(tf.constant(1.0), tf.constant(2.0), tf.constant(5.0))
    (node,) = [n for n in cf.graph.nodes if n.op.name == "cond"]
    then_g, else_g = node.attrs["then_branch"], node.attrs["else_branch"]
    assert len(node.inputs) == 1 + len(then_g.params) == 1 + len(else_g.params)
    np.testing.assert_allclose(_np(f(tf.constant(1.0), tf.constant(2.0), tf.constant(5.0))), 2.0)
    np.testing.assert_allclose(_np(f(tf.constant(-1.0), tf.constant(2.0), tf.constant(5.0))), 6.0)


def test_cond_returning_nested_structures_keeps_them():
    def f(x):
        return tf.cond(x > 0, lambda: {"a": x, "b": (x + 1, x * 3)},
                       lambda: {"a": -x, "b": (x - 1, x * 0)})
    for v in (2, -2):
        eager, traced, _ = _eager_and_traced(f, tf.constant(v))
        assert isinstance(traced, dict) and isinstance(traced["b"], tuple)
        assert_same(traced, eager)


def test_cond_branch_dtype_mismatch_raises_type_error_naming_both_dtypes():
    @tf.function(autograph=False)
    def f(x):
        return tf.cond(x > 0, lambda: tf.constant(1), lambda: tf.constant(1.0))
    with pytest.raises(TypeError) as info:
        f(tf.constant(1.0))
    assert "int32" in str(info.value) and "float32" in str(info.value)


def test_cond_with_different_branch_shapes_gives_a_relaxed_shape():
    @tf.function(autograph=False)
    def f(x):
        return tf.cond(x > 0, lambda: tf.zeros([2]), lambda: tf.zeros([3]))
    cf = f.get_concrete_function(tf.constant(1.0))
    assert str(cf.graph.data_results[0].type) == "f32[?]"
    assert _np(f(tf.constant(1.0))).shape == (2,)
    assert _np(f(tf.constant(-1.0))).shape == (3,)


# -- while_loop ------------------------------------------------------------------------------


def _collatz_steps(n):
    def cond(n, steps):
        return n > 1

    def body(n, steps):
        n = tf.cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1)
        return n, steps + 1
    return tf.while_loop(cond, body, (n, tf.constant(0)))


@pytest.mark.parametrize("start", [1, 6, 27])
def test_collatz_with_nested_cond_in_while_eager_and_traced_agree(start):
    eager, traced, fn = _eager_and_traced(_collatz_steps, tf.constant(start))
    assert_same(traced, eager)
    assert isinstance(traced, tuple)
    expected = {1: 0, 6: 8, 27: 111}[start]
    np.testing.assert_array_equal(_np(traced[1]), expected)


def test_while_loop_sum_with_list_loop_vars_returns_a_list():
    def f(n):
        return tf.while_loop(lambda i, s: i < n, lambda i, s: [i + 1, s + i],
                             [tf.constant(0), tf.constant(0)])
    eager, traced, _ = _eager_and_traced(f, tf.constant(10))
    assert isinstance(traced, list)
    assert_same(traced, eager)
    np.testing.assert_array_equal(_np(traced[1]), 45)


def test_while_loop_with_a_single_tensor_loop_var_returns_a_tensor():
    def f(x):
        return tf.while_loop(lambda v: v < 100.0, lambda v: v * 2.0, x)
    eager, traced, _ = _eager_and_traced(f, tf.constant(3.0))
    assert isinstance(traced, tf.Tensor)
    assert_same(traced, eager)
    np.testing.assert_allclose(_np(traced), 192.0)


def test_while_loop_captures_outer_tensors():
    def f(x, step, limit):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < limit, lambda v: [v + step], [x])
    args = (tf.constant([0.0, 1.0]), tf.constant([1.0, 2.0]), tf.constant(20.0))
    eager, traced, fn = _eager_and_traced(f, *args)
    assert_same(traced, eager)
    (node,) = [n for n in fn.get_concrete_function(*args).graph.nodes
               if n.op.name == "while_loop"]
    # loop var + the cond's capture (limit) + the body's capture (step)
    assert len(node.data_inputs) == 3


def test_while_loop_maximum_iterations_stops_early():
    def f(x):
        return tf.while_loop(lambda v: v < 1000, lambda v: [v + 1], [x],
                             maximum_iterations=5)
    eager, traced, _ = _eager_and_traced(f, tf.constant(0))
    assert_same(traced, eager)
    np.testing.assert_array_equal(_np(traced[0]), 5)


def test_while_loop_shape_invariants_with_none_dims_allow_growth():
    def f(x):
        return tf.while_loop(lambda v: tf.shape(v)[0] < 5,
                             lambda v: [tf.concat([v, v[:1]], axis=0)], [x],
                             shape_invariants=[tf.TensorShape([None])])
    eager, traced, fn = _eager_and_traced(f, tf.constant([1.0]))
    assert_same(traced, eager)
    assert _np(traced[0]).shape == (5,)
    cf = fn.get_concrete_function(tf.constant([1.0]))
    assert str(cf.graph.data_results[0].type) == "f32[?]"


def test_while_loop_body_growing_a_shape_gets_relaxed_dims():
    def f(x):
        return tf.while_loop(lambda i, v: i < 3,
                             lambda i, v: (i + 1, tf.concat([v, v], axis=1)),
                             (tf.constant(0), x))
    x = tf.ones([2, 1])
    eager, traced, fn = _eager_and_traced(f, x)
    assert_same(traced, eager)
    assert _np(traced[1]).shape == (2, 8)
    cf = fn.get_concrete_function(x)
    assert [str(r.type) for r in cf.graph.data_results] == ["i32[]", "f32[2,?]"]


def test_while_loop_body_dtype_change_raises_type_error():
    @tf.function(autograph=False)
    def f(x):
        return tf.while_loop(lambda v: v < 3, lambda v: [tf.cast(v, tf.float32) + 1.0], [x])
    with pytest.raises(TypeError, match="int32"):
        f(tf.constant(0))


def test_tf_print_in_while_body_prints_every_iteration_in_order(capsys):
    @tf.function(autograph=False)
    def f(n):
        def body(i):
            tf.print("iter", i, output_stream=sys.stdout)
            return i + 1
        out = tf.while_loop(lambda i: i < n, body, [tf.constant(0)])
        tf.print("done", output_stream=sys.stdout)
        return out
    f(tf.constant(3))
    f(tf.constant(2))
    assert capsys.readouterr().out == ("iter 0\niter 1\niter 2\ndone\n"
                                       "iter 0\niter 1\ndone\n")


def test_variable_assign_in_while_body_persists():
    v = tf.Variable(0)

    @tf.function(autograph=False)
    def f(n):
        def body(i):
            v.assign_add(i)
            return i + 1
        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])
    f(tf.constant(4))
    np.testing.assert_array_equal(_np(v), 6)
    f(tf.constant(4))
    np.testing.assert_array_equal(_np(v), 12)


# -- gradients through cond ------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, -0.5])
def test_gradient_through_cond_in_function_matches_eager(value):
    w = tf.Variable(3.0)

    def loss(x):
        return tf.cond(x > 0, lambda: x * x * w, lambda: tf.sin(x) + w)

    def grads(fn):
        x = tf.constant(value)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return [_np(g) for g in tape.gradient(y, [x, w])]
    eager = grads(loss)
    traced = grads(tf.function(loss, autograph=False))
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("value", [1.5, -0.5])
def test_gradient_of_cond_computed_inside_function_matches_eager(value):
    w = tf.Variable(2.0)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cond(x > 0, lambda: tf.exp(x) * w, lambda: x * 4.0)
        return tape.gradient(y, [x, w])
    eager = step(tf.constant(value))
    traced = tf.function(step, autograph=False)(tf.constant(value))
    for a, b in zip(eager, traced):
        if a is None:
            assert b is None or float(_np(b)) == 0.0
        else:
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)


def test_gradient_of_variable_read_in_cond_branch_inside_function_matches_eager():
    w = tf.Variable(2.0)

    def step(x):
        with tf.GradientTape() as tape:
            y = tf.cond(x > 0, lambda: w * tf.exp(x), lambda: x * 4.0)
        return tape.gradient(y, w)
    for value in (1.5, -0.5):
        eager = step(tf.constant(value))
        traced = tf.function(step, autograph=False)(tf.constant(value))
        if eager is None:
            assert traced is None or float(_np(traced)) == 0.0
        else:
            np.testing.assert_allclose(_np(eager), _np(traced), rtol=1e-6)


def test_tf_print_in_a_cond_branch_prints_only_when_that_branch_runs(capsys):
    @tf.function(autograph=False)
    def f(x):
        def positive():
            tf.print("pos", x, output_stream=sys.stdout)
            return x
        return tf.cond(x > 0, positive, lambda: -x)
    for v in (1, -1, 2):
        f(tf.constant(v))
    assert capsys.readouterr().out == "pos 1\npos 2\n"


def test_gradient_tape_around_a_function_with_while_loop_matches_eager():
    def power3(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x),
                             (tf.constant(0), tf.constant(1.0)))[1]
    x = tf.constant(2.0)
    grads = []
    for fn in (power3, tf.function(power3, autograph=False)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        grads.append(_np(tape.gradient(y, x)))
    np.testing.assert_allclose(grads[0], 12.0)
    np.testing.assert_allclose(grads[1], grads[0])


def test_cond_branches_run_for_their_effects_may_return_none_as_in_tf():
    v = tf.Variable(0.0)
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f(g):
        def add():
            v.assign(v + g)

        def reset():
            v.assign(0.0)
        out = tf.cond(tf.equal((step + 1) % 3, 0), add, reset)
        step.assign_add(1)
        return out
    got = [(f(tf.constant(2.0)), float(v.numpy())) for _ in range(4)]
    assert got == [(None, 0.0), (None, 0.0), (None, 2.0), (None, 0.0)]


def test_cond_keeps_none_leaves_in_the_output_structure():
    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: (x, None), lambda: (-x, None))
    value, none = f(tf.constant(-3.0))
    assert none is None and float(value.numpy()) == 3.0


def test_cond_with_none_in_one_branch_only_is_a_clear_error():
    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: x, lambda: None)
    with pytest.raises(ValueError, match="returns None where the other returns a value"):
        f(tf.constant(1.0))
