"""Variables written inside compiled while loops (effects.plan_swaps: a variable the body
assigns once is double-buffered, no copy per iteration): every case gives eager's results and
leaves the variables as eager leaves them, whatever the trip count's parity."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.errors import InvalidArgumentError


def _compare(make, args, calls=2):
    """make() -> (fn, [variables]); run fn eagerly and compiled from equal fresh variables,
    `calls` times each; results and variables must be equal (bit for bit: same kernels)."""
    fn_e, vars_e = make()
    fn_c, vars_c = make()
    compiled = tf.function(fn_c, backend="cpu", autograph=False)
    for _ in range(calls):
        out_e = tf.nest.map_structure(lambda t: t.numpy(), fn_e(*args))
        out_c = tf.nest.map_structure(lambda t: t.numpy(), compiled(*args))
        for a, b in zip(tf.nest.flatten(out_e), tf.nest.flatten(out_c)):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
        for ve, vc in zip(vars_e, vars_c):
            np.testing.assert_allclose(vc.numpy(), ve.numpy(), rtol=1e-6, atol=1e-6)
    return compiled


def _mat(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _gradient_steps():
    w = tf.Variable(_mat((24, 16)))
    m = tf.Variable(np.zeros((24, 16), np.float32))

    def run(x, n):
        def body(i):
            g = tf.matmul(x, tf.tanh(tf.matmul(x, w)), transpose_a=True) * 0.01
            m.assign(m * 0.9 + g)
            w.assign(w - 0.1 * m)
            return (i + 1,)
        tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
        return tf.reduce_sum(w), w.read_value()
    return run, [w, m]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_trained_variables_after_any_trip_count_match_eager(n):
    _compare(_gradient_steps, (tf.constant(_mat((8, 24), 1)), tf.constant(n)), calls=3)


def test_loop_variables_are_double_buffered_without_per_iteration_copies():
    f = _compare(_gradient_steps, (tf.constant(_mat((8, 24), 1)), tf.constant(4)))
    text = f.get_concrete_function(tf.constant(_mat((8, 24), 1)), tf.constant(4)).llvm_ir()
    comments = [line for line in text.splitlines() if line.startswith(";")]
    assert not [c for c in comments if c.startswith(("; assign", "; read"))], comments
    assert sum(c.startswith("; loop result of") for c in comments) == 2


def test_read_after_assign_in_the_same_iteration_sees_the_new_value():
    def make():
        v = tf.Variable(_mat((20,)))

        def run(n):
            def body(i, acc):
                before = v.read_value()
                v.assign(before * 0.5 + 1.0)
                after = v.read_value()
                return i + 1, acc + tf.reduce_sum(after) * 10.0 + tf.reduce_sum(before)
            return tf.while_loop(lambda i, a: i < n, body, (tf.constant(0), tf.constant(0.0)))
        return run, [v]
    for n in (1, 4, 5):
        _compare(make, (tf.constant(n),))


def test_a_read_carried_out_of_the_iteration_keeps_its_snapshot():
    def make():
        v = tf.Variable(_mat((4, 5)))

        def run(n):
            def body(i, old):
                cur = v.read_value()
                v.assign(cur * 2.0 + 1.0)
                return i + 1, cur          # the value before this iteration's assign
            return tf.while_loop(lambda i, o: i < n, body, (tf.constant(0), tf.zeros((4, 5))))
        return run, [v]
    for n in (1, 2, 3):
        _compare(make, (tf.constant(n),))


def test_two_variables_exchanging_values_each_iteration():
    def make():
        a = tf.Variable(_mat((6, 7), 2))
        b = tf.Variable(_mat((6, 7), 3))

        def run(n):
            def body(i):
                x, y = a.read_value(), b.read_value()
                a.assign(y + 1.0)
                b.assign(x * 3.0)
                return (i + 1,)
            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return a.read_value() - b.read_value()
        return run, [a, b]
    for n in (0, 1, 2, 5):
        _compare(make, (tf.constant(n),))


def test_cond_inside_the_loop_reads_and_assigns():
    def make():
        v = tf.Variable(_mat((16,), 4))
        w = tf.Variable(_mat((16,), 5))

        def run(n):
            def body(i):
                step = tf.cond(i % 2 == 0, lambda: v.read_value() * 0.5,
                               lambda: v.read_value() + w.read_value())
                v.assign(step - 0.25)          # double-buffered (top level of the body)
                tf.cond(i % 3 == 0, lambda: w.assign(w * 2.0),   # assigned inside a cond
                        lambda: w.assign(w - 1.0))
                return (i + 1,)
            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return v.read_value() + w.read_value()
        return run, [v, w]
    for n in (1, 6, 7):
        _compare(make, (tf.constant(n),))


def test_nested_loops_assigning_in_the_inner_and_outer_body():
    def make():
        inner = tf.Variable(_mat((9, 3), 6))
        outer = tf.Variable(_mat((9, 3), 7))

        def run(n, k):
            def outer_body(i):
                seen = inner.read_value()      # read before the inner loop, used after it

                def inner_body(j):
                    inner.assign(inner * 0.5 + outer)
                    return (j + 1,)
                tf.while_loop(lambda j: j < k, inner_body, (tf.constant(0),))
                outer.assign(seen + inner.read_value() * 0.1)
                return (i + 1,)
            tf.while_loop(lambda i: i < n, outer_body, (tf.constant(0),))
            return inner.read_value(), outer.read_value()
        return run, [inner, outer]
    for n, k in ((1, 1), (2, 3), (3, 2), (0, 4), (2, 0)):
        _compare(make, (tf.constant(n), tf.constant(k)))


def test_variable_written_before_and_inside_the_loop():
    def make():
        v = tf.Variable(_mat((30,), 8))

        def run(n):
            v.assign(v * 2.0)
            first = v.read_value()

            def body(i):
                v.assign(v + 1.0)
                return (i + 1,)
            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return first, v.read_value()
        return run, [v]
    for n in (0, 1, 2):
        _compare(make, (tf.constant(n),))


def test_body_returning_an_input_unchanged_beside_a_swapped_variable():
    def make():
        v = tf.Variable(_mat((5, 5), 9))

        def run(x, n):
            def body(i, keep, acc):
                v.assign(tf.matmul(v, keep) * 0.5)
                return i + 1, keep, acc + v.read_value()
            return tf.while_loop(lambda i, k, a: i < n, body,
                                 (tf.constant(0), x, tf.zeros((5, 5))))
        return run, [v]
    for n in (1, 2, 3):
        _compare(make, (tf.constant(_mat((5, 5), 10)), tf.constant(n)))


def test_tensor_array_records_each_iterations_value():
    def make():
        v = tf.Variable(_mat((3, 4), 11))

        def run(n):
            def body(i, ta):
                ta = ta.write(i, v.read_value())
                v.assign(v * 2.0 - 1.0)
                return i + 1, ta
            ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[3, 4])
            _, ta = tf.while_loop(lambda i, t: i < n, body, (tf.constant(0), ta))
            return ta.stack(), v.read_value()
        return run, [v]
    for n in (1, 2, 5):
        _compare(make, (tf.constant(n),))


def test_large_variable_updated_by_parallel_kernels():
    def make():
        v = tf.Variable(_mat((512, 256), 12))

        def run(n):
            def body(i):
                v.assign(tf.sqrt(tf.abs(v)) + v * 0.5)
                return (i + 1,)
            tf.while_loop(lambda i: i < n, body, (tf.constant(0),))
            return tf.reduce_sum(v)
        return run, [v]
    for n in (1, 2, 3):
        _compare(make, (tf.constant(n),))


def test_symbolic_batch_dim_with_a_swapped_variable():
    v = tf.Variable(np.zeros((4,), np.float32))
    v_e = tf.Variable(np.zeros((4,), np.float32))

    def make_run(var):
        def run(x):
            def body(i):
                var.assign(var + tf.reduce_sum(x, axis=0) * 0.5)
                return (i + 1,)
            tf.while_loop(lambda i: i < tf.shape(x)[0], body, (tf.constant(0),))
            return var.read_value() * tf.reduce_sum(x)
        return run
    f = tf.function(make_run(v), backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    eager = make_run(v_e)
    for rows in (3, 4, 7, 1):
        x = tf.constant(_mat((rows, 4), rows))
        np.testing.assert_allclose(f(x).numpy(), eager(x).numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(v.numpy(), v_e.numpy(), rtol=1e-5, atol=1e-5)


def test_error_in_a_later_iteration_leaves_the_variable_unchanged():
    v = tf.Variable(_mat((8,), 13))
    start = v.numpy().copy()

    def run(indices):
        def body(i):
            v.assign(v * 2.0 + tf.gather(tf.ones((8,)), indices[i]))
            return (i + 1,)
        tf.while_loop(lambda i: i < tf.size(indices), body, (tf.constant(0),))
        return v.read_value()
    f = tf.function(run, backend="cpu", autograph=False)
    with pytest.raises(InvalidArgumentError, match="not in"):
        f(tf.constant([0, 1, 2, 99]))
    np.testing.assert_array_equal(v.numpy(), start)
    np.testing.assert_allclose(f(tf.constant([0, 1, 2, 3])).numpy(), start * 16 + 15, rtol=1e-6)


# -- loop-carried tensors (control._plan_pairs) -----------------------------------------------
def _carried(fn, *args):
    """fn's compiled results equal its eager ones (bit for bit: the same kernels run)."""
    compiled = tf.function(fn, backend="cpu", autograph=False)
    for _ in range(2):
        want = tf.nest.flatten(fn(*args))
        got = tf.nest.flatten(compiled(*args))
        for a, b in zip(want, got):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-6)
    return compiled


def _recurrence(x, w, n):
    def body(i, h, acc):
        h = tf.tanh(tf.matmul(h, w) + x)
        return i + 1, h, acc + h * 0.5
    return tf.while_loop(lambda i, h, a: i < n, body, (tf.constant(0), x, tf.zeros_like(x)))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_recurrent_state_carried_through_any_trip_count(n):
    f = _carried(_recurrence, tf.constant(_mat((16, 32), 20)),
                 tf.constant(_mat((32, 32), 21) * 0.2), tf.constant(n))
    text = f.get_concrete_function(tf.constant(_mat((16, 32), 20)),
                                   tf.constant(_mat((32, 32), 21)), tf.constant(n)).llvm_ir()
    assert text.count("; loop variable result") == 2


@pytest.mark.parametrize("n", [1, 2, 5])
def test_large_tensors_exchanged_each_iteration(n):
    def fib(a, b, n):
        return tf.while_loop(lambda i, a, b: i < n, lambda i, a, b: (i + 1, b, a + b * 0.5),
                             (tf.constant(0), a, b))
    _carried(fib, tf.constant(_mat((20, 20), 22)), tf.constant(_mat((20, 20), 23)),
             tf.constant(n))


def test_next_value_and_a_view_of_it_carried_as_two_variables():
    def run(x, n):
        def body(i, a, flat):
            nxt = a * 1.5 - 0.25
            return i + 1, nxt, tf.reshape(nxt, [-1])
        return tf.while_loop(lambda i, a, f: i < n, body,
                             (tf.constant(0), x, tf.reshape(x, [-1])))
    for n in (1, 2, 3):
        _carried(run, tf.constant(_mat((6, 9), 24)), tf.constant(n))


def test_next_state_made_by_a_cond_or_an_inner_loop():
    def run(x, n, k):
        def inner(h):
            return tf.while_loop(lambda j, g: j < k, lambda j, g: (j + 1, g * 0.5 + h),
                                 (tf.constant(0), h))[1]

        def body(i, h, g):
            h = tf.cond(i % 2 == 0, lambda: h * 2.0, lambda: h - g)
            return i + 1, h, inner(h)
        return tf.while_loop(lambda i, h, g: i < n, body, (tf.constant(0), x, x * 0.1))
    for n, k in ((1, 1), (2, 3), (3, 0), (4, 2)):
        _carried(run, tf.constant(_mat((10, 10), 25)), tf.constant(n), tf.constant(k))


def test_state_with_a_symbolic_batch_dim_is_carried():
    def run(x):
        def body(i, h):
            return i + 1, tf.sin(h) + x
        return tf.while_loop(lambda i, h: i < 3, body, (tf.constant(0), x))[1]
    f = tf.function(run, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 8], tf.float32)])
    for rows in (2, 5, 16, 1):
        x = tf.constant(_mat((rows, 8), rows))
        np.testing.assert_allclose(f(x).numpy(), run(x).numpy(), rtol=1e-6, atol=1e-6)
