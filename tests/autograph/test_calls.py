"""converted_call and conversion: user functions, methods, callables, lambdas and closures are
converted recursively; library code and do_not_convert functions run as written; print stays
trace-time with a note; builtins stage on tensors; REPL/notebook sources via linecache."""
import linecache
import warnings

import numpy as np
import pytest

import autograph_jit as tf

from .helpers import check, check_all, eager


def clip_positive(v):
    if v > 0:
        return v
    return tf.zeros_like(v)


def test_called_user_function_is_converted_recursively():
    def f(x):
        return clip_positive(x) + clip_positive(-x)
    check_all(f, [(tf.constant(2.0),), (tf.constant(-3.0),)])


def test_do_not_convert_leaves_the_function_as_written():
    @tf.autograph.experimental.do_not_convert
    def raw(v):
        if v > 0:
            return v
        return -v

    @tf.function
    def f(x):
        return raw(x)
    with pytest.raises(TypeError, match="tf.cond"):
        f(tf.constant(1.0))


def test_library_code_is_called_as_written():
    def f(x):
        n = int(np.prod([2, 3]))  # NumPy is not converted; int() of a Python value stays int
        return x * n
    check(f, tf.constant(2))


def test_methods_and_callable_objects_are_converted():
    class Scaler:
        def __init__(self, k):
            self.k = k

        def scale(self, v):
            if v > 0:
                return v * self.k
            return v

        def __call__(self, v):
            while v > 100:
                v = v // 2
            return self.scale(v)
    s = Scaler(3)

    def f(x):
        return s(x)
    check_all(f, [(tf.constant(500),), (tf.constant(-5),)])


def test_tf_function_on_a_method_converts_it():
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.count = tf.Variable(0)

        @tf.function
        def run(self, x):
            while x > 1:
                x = x // 2
                self.count.assign_add(1)
            return x
    c = Counter()
    assert c.run(tf.constant(20)).numpy() == 1
    assert c.count.numpy() == 4


def test_lambda_passed_to_tf_function_is_converted():
    f = tf.function(lambda x: x * 2 if x > 0 else -x)
    assert f(tf.constant(-4)).numpy() == 4
    assert f(tf.constant(3)).numpy() == 6


def test_nested_function_with_closure_is_converted_and_sees_outer_values():
    def f(x):
        k = x * 2.0

        def inner(y):
            if y > 0:
                return y * k
            return y - k
        return inner(x) + inner(-x)
    check_all(f, [(tf.constant(2.0),), (tf.constant(-1.0),)])


def test_print_runs_at_trace_time_with_a_one_time_note_pointing_to_tf_print(capsys):
    @tf.function
    def f(x):
        print("tracing", x.shape)
        return x + 1
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f(tf.constant(1.0))
        f(tf.constant(2.0))
        f(tf.constant([1.0]))
    assert capsys.readouterr().out == "tracing ()\ntracing (1,)\n"
    notes = [x for x in w if "tf.print" in str(x.message)]
    assert len(notes) == 1
    assert notes[0].filename == __file__
    assert notes[0].lineno == f.python_function.__code__.co_firstlineno + 2


def test_len_and_range_of_a_tensor_with_unknown_length_become_graph_ops():
    def f(x):
        s = 0.0
        for i in range(len(x)):
            s += x[i] * tf.cast(i, tf.float32)
        return s
    traced = tf.function(f, input_signature=[tf.TensorSpec([None], tf.float32)])
    for n in (0, 3, 5):
        x = tf.range(n, dtype=tf.float32)
        np.testing.assert_allclose(traced(x).numpy(), np.asarray(eager(f, x)))
    assert traced.experimental_get_tracing_count() == 1


def test_int_and_float_of_symbolic_tensor_become_casts():
    def f(x):
        return float(x) * 1.5 + float(int(x * 2.0))
    check(f, tf.constant(3.0))


def test_function_from_a_notebook_cell_is_converted_through_linecache():
    source = ("def cell_fn(x):\n"
              "    while x > 10:\n"
              "        x = x - 7\n"
              "    return x\n")
    filename = "<ipython-input-7-notebook>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    f = tf.function(namespace["cell_fn"])
    assert f(tf.constant(30)).numpy() == 9
    assert "ag__.while_stmt" in tf.autograph.to_code(namespace["cell_fn"])


def test_function_without_source_runs_unconverted_with_a_warning():
    namespace = {}
    exec(compile("def nosrc(x):\n    return x * 2\n", "<no-source>", "exec"), namespace)
    f = tf.function(namespace["nosrc"])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert f(tf.constant(3)).numpy() == 6
    assert any("could not convert" in str(x.message) for x in w)


def test_stage_times_record_the_autograph_conversion():
    @tf.function
    def f(x):
        if x > 0:
            x = x + 1
        return x
    cf = f.get_concrete_function(tf.constant(1))
    names = [name for name, _ in cf.stage_times]
    assert names[0] == "autograph convert"


def test_to_graph_result_also_runs_eagerly_on_tensors():
    def f(x):
        while x > 10:
            x = x - 7
        return x
    g = tf.autograph.to_graph(f)
    assert g(tf.constant(30)).numpy() == 9
    assert g(30) == 9


def test_set_verbosity_prints_the_converted_code_when_tracing(capsys):
    @tf.function
    def f(x):
        return x if x > 0 else -x
    tf.autograph.set_verbosity(1)
    try:
        f(tf.constant(1))
    finally:
        tf.autograph.set_verbosity(0)
    assert "ag__.if_exp(" in capsys.readouterr().out


def logged(func):
    import functools

    @functools.wraps(func)
    def wrapper(*args):
        return func(*args)
    return wrapper


@logged
def halve_until_small(x):
    while x > 10:
        x = x // 2
    return x


def test_function_under_a_functools_wraps_decorator_is_converted_through_it():
    check_all(lambda x: halve_until_small(x), [(tf.constant(100),), (tf.constant(3),)])
    assert tf.function(halve_until_small)(tf.constant(100)).numpy() == 6
