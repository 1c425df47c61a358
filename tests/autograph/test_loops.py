"""while_stmt / for_stmt: Python loops at trace time, graph loops on tensors, and TF's sharp
edges with loops (early return, tensor break in a Python range, weak accumulators, growing
shapes, list.append, discarded TensorArray writes) — each against the eager run."""
import sys
import warnings

import numpy as np
import pytest

import autograph_jit as tf

from .helpers import assert_same, check, check_all, eager, ops_in


def collatz(a):
    while not tf.equal(a, 1):
        if tf.equal(a % 2, 0):
            a = a / 2
        else:
            a = 3 * a + 1
    return a


def test_while_on_tensor_condition_is_one_graph_loop_matching_eager():
    f = check_all(collatz, [(tf.constant(12.0),), (tf.constant(27.0),)])
    assert f.experimental_get_tracing_count() == 1
    assert "while_loop" in ops_in(f.get_concrete_function(tf.constant(1.0)).graph)


def test_while_on_python_condition_is_unrolled_at_trace_time():
    def f(x):
        i = 0
        while i < 3:
            x = x * 2.0
            i += 1
        return x
    traced = check(f, tf.constant(1.5))
    assert "while_loop" not in ops_in(traced.get_concrete_function(tf.constant(1.0)).graph)


def test_for_over_tf_range_is_one_graph_loop_for_every_n():
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i * i
        return s
    traced = check_all(f, [(tf.constant(0),), (tf.constant(5),), (tf.constant(40),)])
    assert traced.experimental_get_tracing_count() == 1


def test_for_over_tf_range_with_start_and_negative_delta_matches_eager():
    def f(a, b):
        s = tf.constant(0)
        for i in tf.range(a, b, -2):
            s = s * 10 + i
        return s
    check_all(f, [(tf.constant(9), tf.constant(1)), (tf.constant(1), tf.constant(9))])


def test_for_over_tensor_iterates_its_first_dimension():
    def f(m):
        total = tf.zeros([2])
        for row in m:
            total = total + row * row
        return total
    check(f, tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))


def test_for_over_tensor_with_unknown_length_uses_its_runtime_shape():
    def f(x):
        s = 0.0
        for v in x:
            s += v
        return s
    traced = tf.function(f, input_signature=[tf.TensorSpec([None], tf.float32)])
    for n in (0, 1, 4):
        x = tf.range(n, dtype=tf.float32)
        assert_same(traced(x), eager(f, x))


def test_for_over_tensor_array_reads_each_element():
    # TensorArrays are not iterable eagerly (as in TF): compared with NumPy instead
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=3)
        ta = ta.unstack(x)
        s = tf.zeros([2])
        for e in ta:
            s = s + e * e
        return s
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), (x * x).sum(0))


def test_for_over_enumerate_of_zip_of_tensors_matches_eager():
    def f(x, y):
        s = 0
        for i, (a, b) in enumerate(zip(x, y)):
            s += i * a * b
        return s
    check(f, tf.constant([1, 2, 3]), tf.constant([4, 5, 6]))


def test_for_over_python_list_is_unrolled():
    def f(x):
        for w in [1.0, 2.0, 3.0]:
            x = x * w
        return x
    traced = check(f, tf.constant(2.0))
    assert "while_loop" not in ops_in(traced.get_concrete_function(tf.constant(1.0)).graph)


def test_break_in_graph_while_matches_eager():
    def f(x):
        i = 0
        while True:
            i += 1
            if x * i > 10:
                break
        return i
    check_all(f, [(tf.constant(3),), (tf.constant(20),)])


def test_continue_in_graph_for_matches_eager():
    def sum_even(items):
        s = 0
        for c in items:
            if c % 2 > 0:
                continue
            s += c
        return s
    traced = check_all(sum_even, [(tf.constant([10, 12, 15, 20]),), (tf.constant([1, 3, 4]),)])
    assert traced(tf.constant([10, 12, 15, 20])).numpy() == 42


def test_early_return_inside_graph_loop_matches_eager():
    def first_big(x):
        for i in tf.range(tf.shape(x)[0]):
            if x[i] > 2:
                return i
        return -1
    check_all(first_big, [(tf.constant([1, 2, 5, 7]),), (tf.constant([1, 2, 0, 1]),)])


def test_early_return_inside_nested_graph_loops_matches_eager():
    def find(m, target):
        for i in tf.range(tf.shape(m)[0]):
            for j in tf.range(tf.shape(m)[1]):
                if m[i, j] == target:
                    return i * 10 + j
        return -1
    m = tf.constant([[1, 2], [3, 4]])
    check_all(find, [(m, tf.constant(3)), (m, tf.constant(4)), (m, tf.constant(9))])


def test_tensor_dependent_break_in_python_range_switches_to_a_graph_loop():
    def f(x):
        s = 0.0
        for i in range(5):
            if x[i] > 2.0:
                break
            s += x[i]
        return s
    traced = check_all(f, [(tf.constant([1.0, 2.0, 3.0, 1.0, 1.0]),),
                           (tf.constant([1.0, 1.0, 1.0, 1.0, 1.0]),),
                           (tf.constant([5.0, 1.0, 1.0, 1.0, 1.0]),)])
    assert traced.experimental_get_tracing_count() == 1
    assert "while_loop" in ops_in(traced.get_concrete_function(tf.ones([5])).graph)


def test_tensor_dependent_break_in_python_list_loop_guards_the_remaining_iterations():
    def f(x):
        s = tf.constant(0.0)
        for w in [1.0, 2.0, 3.0, 4.0]:
            if s > x:
                break
            s += w
        return s
    check_all(f, [(tf.constant(0.5),), (tf.constant(2.5),), (tf.constant(100.0),)])


def test_python_int_accumulator_takes_the_float32_dtype_the_body_gives_it():
    def f(x):
        acc = 0
        for i in tf.range(tf.shape(x)[0]):
            acc = acc + x[i]
        return acc
    traced = check(f, tf.constant([1.5, 2.0, 3.0]))
    assert traced(tf.constant([1.5, 2.0])).dtype == tf.float32


def test_python_counter_in_graph_loop_becomes_an_int32_tensor():
    def f(x):
        n = 0
        while x > 1.0:
            x = x / 2.0
            n += 1
        return n
    check_all(f, [(tf.constant(20.0),), (tf.constant(0.5),)])


def test_loop_carried_tensor_whose_shape_grows_relaxes_to_none_dims():
    def f(n):
        x = tf.zeros([1])
        for i in tf.range(n):
            x = tf.concat([x, [tf.cast(i, tf.float32)]], 0)
        return x
    traced = check_all(f, [(tf.constant(3),), (tf.constant(0),)])
    cf = traced.get_concrete_function(tf.constant(3))
    assert cf.graph.results[0].type.shape.as_list() == [None]


def test_list_append_in_graph_loop_becomes_a_stacked_tensor_array():
    def f(x):
        out = []
        for i in tf.range(3):
            out.append(x * tf.cast(i, tf.float32))
        return tf.stack(out)
    traced = check(f, tf.constant([1.0, 2.0]))
    ops = ops_in(traced.get_concrete_function(tf.constant([1.0, 2.0])).graph)
    assert "tensor_array_write" in ops


def test_list_with_tensors_before_the_loop_keeps_them_when_staged():
    def f(x, n):
        out = [x, x + 1.0]
        for i in tf.range(n):
            out.append(x * 10.0)
        return tf.stack(out)
    check_all(f, [(tf.constant(1.0), tf.constant(2)), (tf.constant(1.0), tf.constant(0))])


def test_discarded_tensor_array_write_in_graph_loop_is_not_lost():
    def f(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta.write(i, tf.cast(i, tf.float32) * 2.0)
        return ta.stack()
    check(f, tf.constant(4))


def test_closure_reading_a_loop_variable_sees_its_final_value():
    def f(n):
        x = tf.constant(0)
        for i in tf.range(n):
            x = x + i
        def read():
            return x * 100
        return read()
    check_all(f, [(tf.constant(4),), (tf.constant(0),)])


def test_tf_print_in_tf_range_loop_prints_every_iteration(capsys):
    @tf.function
    def f(n):
        for i in tf.range(n):
            tf.print(i, output_stream=sys.stdout)
        return n
    f(tf.constant(3))
    f(tf.constant(2))
    assert capsys.readouterr().out.split() == ["0", "1", "2", "0", "1"]
    assert f.experimental_get_tracing_count() == 1


def test_variable_updates_in_graph_loop_match_eager():
    v_e, v_g = tf.Variable(1.0), tf.Variable(1.0)

    def make(v):
        def f(x):
            while x > 1.0:
                x = x / 2.0
                v.assign_add(1.0)
            return x
        return f
    assert_same(tf.function(make(v_g))(tf.constant(20.0)), eager(make(v_e), tf.constant(20.0)))
    assert v_e.numpy() == v_g.numpy() == 6.0


def test_unrolled_python_loop_of_1000_iterations_warns_once_with_its_line():
    def f(x):
        for i in range(1200):
            x = x + 1.0
        return x
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        traced = check(f, tf.constant(0.0))
        traced(tf.constant([0.0]))  # a second trace: no second warning
    msgs = [x for x in w if "unrolled" in str(x.message)]
    assert len(msgs) == 1
    assert "tf.range" in str(msgs[0].message)
    assert msgs[0].filename == __file__
    assert msgs[0].lineno == f.__code__.co_firstlineno + 1


def test_pure_python_loop_of_many_iterations_does_not_warn():
    def f(x):
        n = 0
        for i in range(1500):
            n += i
        return x + n
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check(f, tf.constant(0))
    assert not [x for x in w if "unrolled" in str(x.message)]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_while_with_two_carried_tensors_matches_eager(n):
    def fib(n):
        a, b = tf.constant(0), tf.constant(1)
        i = tf.constant(0)
        while i < n:
            a, b = b, a + b
            i += 1
        return a
    check(fib, tf.constant(n))


def test_nested_graph_loops_match_eager():
    def f(n):
        total = tf.constant(0)
        for i in tf.range(n):
            j = tf.constant(0)
            while j < i:
                total += j
                j += 1
        return total
    check_all(f, [(tf.constant(5),), (tf.constant(1),)])


def test_staged_loop_result_is_computed_at_call_time_not_trace_time():
    def f(x):
        while x < 100:
            x = x * 3
        return x
    traced = tf.function(f)
    assert traced(tf.constant(2)).numpy() == 162
    assert traced(tf.constant(50)).numpy() == 150
    assert np.asarray(eager(f, tf.constant(50))) == 150


def test_dict_item_updated_in_graph_loop_is_carried():
    def f(x):
        d = {"a": x, "b": x * 2.0}
        for i in tf.range(3):
            d["a"] = d["a"] + 1.0
        return d["a"] + d["b"]
    check(f, tf.constant(1.0))


def test_python_counter_with_tensor_bound_in_while_matches_eager():
    def f(n):
        i = 0
        total = 0.0
        while i < n:
            total += 0.5
            i += 1
        return total, i
    check_all(f, [(tf.constant(4),), (tf.constant(0),)])


def test_python_list_item_replaced_in_graph_loop_is_carried_like_eager():
    def f(x):
        xs = [x, x, 0]
        for i in tf.range(3):
            xs[0] = xs[0] + 1.0
            xs[2] = xs[2] + i
        return xs
    check(f, tf.constant(1.0))


def test_python_list_changed_in_place_in_graph_loop_points_to_tensor_array():
    def f(x):
        xs = [x, x]
        for i in tf.range(2):
            xs.insert(0, x * 2.0)
        return xs[0]
    with pytest.raises(TypeError, match="tf.TensorArray"):
        tf.function(f)(tf.constant(1.0))


def test_gradient_through_a_converted_graph_loop_matches_eager():
    def f(x, n):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for i in tf.range(n):
                y = y * x
        return tape.gradient(y, x)
    check_all(f, [(tf.constant(2.0), tf.constant(3)), (tf.constant(1.5), tf.constant(0))])


def test_return_from_an_endless_while_true_graph_loop_matches_eager():
    def f(x):
        i = tf.constant(0)
        while True:
            i += 1
            if x * i > 10:
                return i
    check_all(f, [(tf.constant(3),), (tf.constant(20),)])
