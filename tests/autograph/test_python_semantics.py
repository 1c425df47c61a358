"""Python semantics a TF2 user expects to keep inside converted code: weakly typed Python
numbers, `raise`, nested generators, iterating TensorArrays, call conventions, decorators,
nested tf.functions and structured loop variables; each compared with running eagerly on the
default backend and on backend="eager"."""
import functools
import traceback

import numpy as np
import pytest

import autograph_jit as tf

from .helpers import assert_same, check_backends, eager


def test_python_counter_compared_with_an_int64_bound_takes_int64_like_eager():
    def f(n):
        i = 0
        total = tf.constant(0.0, tf.float64)
        while i < n:
            total += tf.cast(i, tf.float64)
            i += 1
        return total, i
    check_backends(f, tf.constant(5, tf.int64))


def test_python_counter_in_python_range_with_tensor_break_meets_an_int64_bound():
    def f(n):
        i = 0
        for _ in range(10):
            if i >= n:
                break
            i += 2
        return i
    check_backends(f, tf.constant(7, tf.int64))


def test_python_float_accumulator_takes_float64_from_the_loop_body():
    def f(x):
        acc = 0.0
        for i in tf.range(3):
            acc = acc + x[i]
        return acc
    out = check_backends(f, tf.constant([1.0, 2.0, 3.0], tf.float64))(
        tf.constant([1.0, 2.0, 3.0], tf.float64))
    assert out.dtype == tf.float64


def test_raise_in_tensor_if_fails_at_run_time_only_on_that_path_with_its_type():
    def f(x):
        if x > 0:
            raise ValueError("x must not be positive")
        return x * 2.0
    for backend in ("cpu", "eager"):
        g = tf.function(f, backend=backend)
        assert_same(g(tf.constant(-1.0)), eager(f, tf.constant(-1.0)))
        with pytest.raises(ValueError, match="x must not be positive") as info:
            g(tf.constant(1.0))
        assert "test_python_semantics.py" in str(info.value)


def test_raise_of_a_builtin_exception_class_in_graph_loop_keeps_its_type():
    def f(x):
        while x < 100.0:
            if x < 0:
                raise KeyError
            x = x * 2.0
        return x
    check_backends(f, tf.constant(3.0))
    with pytest.raises(KeyError):
        tf.function(f)(tf.constant(-3.0))


def test_raise_caught_by_the_users_try_in_tensor_if_is_a_located_error_not_a_divergence():
    def f(x):
        try:
            if x > 0:
                raise ValueError("positive")
        except ValueError:
            return tf.constant(1.0)
        return x
    with pytest.raises(RuntimeError, match="no Python `except` can catch it") as info:
        tf.function(f)(tf.constant(-1.0))
    assert "test_python_semantics.py" in str(info.value)


def test_raise_on_a_python_condition_raises_while_tracing_as_python_does():
    def f(x, check):
        if check:
            raise ValueError("checked")
        return x
    with pytest.raises(ValueError, match="checked"):
        tf.function(f)(tf.constant(1.0), True)
    check_backends(f, tf.constant(1.0), False)


def test_nested_generator_function_runs_as_written():
    def f(x):
        def steps():
            for k in range(3):
                yield k
        s = x
        for k in steps():
            s = s + k
        return s
    check_backends(f, tf.constant(1.0))


def test_for_over_tensor_array_also_iterates_eagerly():
    def f(x):
        ta = tf.TensorArray(tf.float32, size=3)
        for i in tf.range(3):
            ta = ta.write(i, x * tf.cast(i, tf.float32))
        s = tf.constant(0.0)
        for v in ta:
            s += v
        return s
    check_backends(f, tf.constant(2.0))


def test_traceback_through_a_loop_body_names_the_users_function_not_a_helper():
    def summed(x):
        s = 0
        for v in x:
            s = s + "text"
        return s
    with pytest.raises(TypeError) as info:
        tf.function(summed)(tf.constant([1.0, 2.0]))
    frames = [fr for fr in traceback.extract_tb(info.value.__traceback__)
              if fr.filename == __file__ and not fr.name.startswith("test_")]
    assert len(frames) >= 2 and all(fr.name == "summed" for fr in frames)
    assert "s = s + \"text\"" in frames[-1].line


def test_star_args_keywords_and_defaults_match_eager():
    def f(*args, scale=2.0, **kw):
        s = args[0]
        for a in args[1:]:
            s = s + a
        if kw.get("negate", False):
            s = -s
        return s * scale if s > 0 else s
    check_backends(f, tf.constant(1.0), tf.constant(2.0), negate=True)
    check_backends(f, tf.constant(1.0), tf.constant(2.0), scale=3.0)


def test_stacked_decorators_on_a_converted_function_match_eager():
    def plus_one(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            return fn(*a, **k) + 1.0
        return wrapper

    @plus_one
    @plus_one
    def f(x):
        if x > 0:
            return x
        return -x
    for v in (2.0, -2.0):
        check_backends(f, tf.constant(v))


def test_tf_function_called_inside_a_tf_function_is_converted_too():
    @tf.function
    def inner(x):
        if x > 0:
            return x * 2.0
        return x
    def outer(x):
        return inner(x) + 1.0
    for v in (2.0, -2.0):
        check_backends(outer, tf.constant(v))


def test_loop_variables_nested_in_tuples_and_dicts_match_eager():
    def f(x):
        state = (x, {"sum": x * 0.0, "count": tf.constant(0)})
        for i in tf.range(3):
            state = (state[0] + 1.0, {"sum": state[1]["sum"] + state[0],
                                      "count": state[1]["count"] + i})
        return state
    check_backends(f, tf.constant(1.0))


def test_loops_over_none_shaped_inputs_from_an_input_signature_match_eager():
    def f(x):
        total = tf.zeros([2])
        for row in x:
            total += row if tf.reduce_sum(row) > 0 else -row
        n = 0
        while n < tf.shape(x)[0]:
            n += 1
        return total, n
    spec = [tf.TensorSpec([None, 2], tf.float32)]
    g = tf.function(f, input_signature=spec)
    for rows in (1, 3):
        x = tf.constant(np.arange(rows * 2, dtype=np.float32).reshape(rows, 2) - 2.0)
        assert_same(g(x), eager(f, x))
        assert_same(tf.function(f, input_signature=spec, backend="eager")(x), eager(f, x))
    assert g.experimental_get_tracing_count() == 1


def test_comprehensions_and_with_blocks_inside_converted_code_match_eager():
    def f(x):
        scaled = [x * k for k in range(3)]
        table = {k: x + k for k in range(2)}
        with tf.name_scope("block"):
            if x > 0:
                y = sum(v for v in scaled) + table[1]
            else:
                y = table[0]
        return y
    for v in (2.0, -2.0):
        check_backends(f, tf.constant(v))


def test_user_function_from_another_module_is_converted_with_its_own_file():
    from . import user_module

    def f(x):
        return user_module.clipped_double(x) + 1.0
    for v in (0.5, 3.0, 20.0):
        check_backends(f, tf.constant(v))
    code = tf.autograph.to_code(user_module.clipped_double)
    assert "ag__.while_stmt" in code and "user_module.py:" in code


def test_static_and_class_methods_are_converted():
    class Ops:
        @staticmethod
        def magnitude(x):
            if x > 0:
                return x
            return -x

        @classmethod
        def doubled(cls, x):
            return cls.magnitude(x) * 2.0
    for v in (2.0, -2.0):
        check_backends(Ops.doubled, tf.constant(v))


def test_while_else_and_for_else_on_tensors_match_eager():
    def f(n):
        i = tf.constant(0)
        while i < n:
            i += 1
            if i == 3:
                break
        else:
            i = tf.constant(-1)
        s = tf.constant(0)
        for k in tf.range(10):
            if k % 2 == 0:
                continue
            elif k > n:
                break
            s += k
        else:
            s = s * 100
        return i, s
    for n in (2, 5, 12):
        check_backends(f, tf.constant(n))


def test_to_code_shows_the_staged_raise_and_attribute_state():
    def f(box, x):
        if x > 0:
            raise ValueError("positive")
        for i in tf.range(3):
            box.total = box.total + x
        return box.total
    code = tf.autograph.to_code(f)
    assert "ag__.raise_stmt(" in code
    assert "ag__.get_attr(box, 'total', 'box.total')" in code
    assert "ag__.set_attr(box, 'total'" in code


def test_raise_in_a_helper_on_a_python_condition_still_raises_while_tracing():
    def check_rank(x):
        if x.shape.rank != 1:
            raise ValueError("need a vector")
        return x

    def f(x, n):
        s = tf.constant(0.0)
        for i in tf.range(n):
            s += tf.reduce_sum(check_rank(x))
        return s
    with pytest.raises(ValueError, match="need a vector"):
        tf.function(f)(tf.constant(1.0), tf.constant(2))
    check_backends(f, tf.constant([1.0, 2.0]), tf.constant(2))
