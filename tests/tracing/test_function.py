"""tf.function: decorating, the per-signature cache, retracing and its explanations, Python side
effects vs graph effects, variables, eager mode, gradients and error locations."""
import os
import traceback
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.tracing.builder import is_library_file

HERE = os.path.basename(__file__)


def _np(t):
    return np.asarray(t.numpy())


# -- decorating ------------------------------------------------------------------------------


def test_decorator_without_arguments_wraps_and_computes():
    @tf.function
    def f(x):
        return x * 2.0 + 1.0
    assert isinstance(f, tf.Function)
    np.testing.assert_allclose(_np(f(tf.constant([1.0, 2.0]))), [3.0, 5.0])
    assert f.__name__ == "f"


def test_decorator_with_arguments_wraps_and_computes():
    @tf.function(reduce_retracing=True)
    def f(x):
        return x - 1.0
    assert isinstance(f, tf.Function)
    np.testing.assert_allclose(_np(f(tf.constant([1.0, 2.0]))), [0.0, 1.0])


def test_function_called_on_plain_function_object():
    def g(x):
        return tf.square(x)
    f = tf.function(g)
    assert f.python_function is g
    np.testing.assert_allclose(_np(f(tf.constant(3.0))), 9.0)


def test_methods_have_one_cache_per_instance():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @tf.function
        def __call__(self, x):
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    x = tf.constant([1.0])
    np.testing.assert_allclose(_np(a(x)), [2.0])
    np.testing.assert_allclose(_np(b(x)), [3.0])
    np.testing.assert_allclose(_np(a(x)), [2.0])
    assert a.__call__ is a.__call__
    assert a.__call__ is not b.__call__
    assert a.__call__.experimental_get_tracing_count() == 1
    assert b.__call__.experimental_get_tracing_count() == 1


def test_module_method_uses_its_variables():
    class Dense(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0]])

        @tf.function
        def __call__(self, x):
            return tf.matmul(x, self.w)

    m = Dense()
    np.testing.assert_allclose(_np(m(tf.constant([[1.0, 1.0]]))), [[3.0]])
    m.w.assign([[0.0], [1.0]])
    np.testing.assert_allclose(_np(m(tf.constant([[1.0, 1.0]]))), [[1.0]])
    assert m.__call__.experimental_get_tracing_count() == 1


# -- concrete functions ------------------------------------------------------------------------


def test_get_concrete_function_with_values_is_reused_by_calls():
    @tf.function
    def f(x):
        return x + 1
    cf = f.get_concrete_function(tf.constant([1, 2]))
    assert isinstance(cf, tf.ConcreteFunction)
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(_np(f(tf.constant([5, 6]))), [6, 7])
    np.testing.assert_array_equal(_np(cf(tf.constant([5, 6]))), [6, 7])
    assert f.experimental_get_tracing_count() == 1


def test_get_concrete_function_with_tensorspec_accepts_any_size_on_none_dims():
    @tf.function
    def f(x):
        return tf.reduce_sum(x, axis=1)
    cf = f.get_concrete_function(tf.TensorSpec([None, 2], tf.float32))
    assert [str(p.type) for p in cf.graph.data_params] == ["f32[?,2]"]
    np.testing.assert_allclose(_np(cf(tf.ones([3, 2]))), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(_np(cf(tf.ones([1, 2]))), [2.0])


def test_concrete_function_rejects_a_mismatched_dtype():
    @tf.function
    def f(x):
        return x
    cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    with pytest.raises(TypeError):
        cf(tf.constant([1, 2]))


def test_python_function_is_the_undecorated_function():
    def g(x):
        return x
    assert tf.function(g).python_function is g


# -- cache keys and retracing ------------------------------------------------------------------


def test_nested_list_tuple_dict_arguments_and_results_keep_structure():
    @tf.function
    def f(pair, d, items):
        a, b = pair
        return {"sum": a + b, "parts": (d["x"] * 2, [items[0] - items[1]]), "tag": "ok"}
    out = f((tf.constant(1.0), tf.constant(2.0)), {"x": tf.constant(3.0)},
            [tf.constant(10), tf.constant(4)])
    assert set(out) == {"sum", "parts", "tag"}
    assert out["tag"] == "ok"
    np.testing.assert_allclose(_np(out["sum"]), 3.0)
    assert isinstance(out["parts"], tuple) and isinstance(out["parts"][1], list)
    np.testing.assert_allclose(_np(out["parts"][0]), 6.0)
    np.testing.assert_array_equal(_np(out["parts"][1][0]), 6)


def test_python_value_arguments_retrace_per_value():
    @tf.function
    def f(x, n):
        return x * n
    x = tf.constant(2.0)
    np.testing.assert_allclose(_np(f(x, 2)), 4.0)
    np.testing.assert_allclose(_np(f(x, 3)), 6.0)
    np.testing.assert_allclose(_np(f(x, 2)), 4.0)
    assert f.experimental_get_tracing_count() == 2


def test_same_dtype_and_shape_reuses_the_trace():
    @tf.function
    def f(x):
        return x + 1.0
    f(tf.constant([1.0, 2.0]))
    f(tf.constant([5.0, 6.0]))
    f(np.array([7.0, 8.0], np.float32))
    assert f.experimental_get_tracing_count() == 1


def test_new_dtype_or_shape_retraces():
    @tf.function
    def f(x):
        return x + x
    f(tf.constant([1.0, 2.0]))
    f(tf.constant([1, 2]))
    assert f.experimental_get_tracing_count() == 2
    f(tf.constant([1.0, 2.0, 3.0]))
    assert f.experimental_get_tracing_count() == 3
    np.testing.assert_array_equal(_np(f(tf.constant([1, 2]))), [2, 4])
    assert f.experimental_get_tracing_count() == 3


def test_variables_are_keyed_by_identity():
    @tf.function
    def f(v):
        return v * 2.0
    a, b = tf.Variable(1.0), tf.Variable(5.0)
    np.testing.assert_allclose(_np(f(a)), 2.0)
    np.testing.assert_allclose(_np(f(a)), 2.0)
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(_np(f(b)), 10.0)
    assert f.experimental_get_tracing_count() == 2


def test_input_signature_with_none_dims_traces_once():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x)
    np.testing.assert_allclose(_np(f(tf.constant([1.0, 2.0]))), 3.0)
    np.testing.assert_allclose(_np(f(tf.constant([1.0, 2.0, 3.0, 4.0]))), 10.0)
    assert f.experimental_get_tracing_count() == 1


def test_input_signature_mismatched_dtype_raises_type_error_quoting_spec_without_retracing():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x
    f(tf.constant([1.0]))
    with pytest.raises(TypeError, match=r"TensorSpec\(shape=\(None,\), dtype=tf.float32"):
        f(tf.constant([1, 2]))
    assert f.experimental_get_tracing_count() == 1


def test_input_signature_mismatched_shape_raises_type_error_without_retracing():
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        return x
    f(tf.ones([3, 2]))
    with pytest.raises(TypeError, match=r"TensorSpec\(shape=\(None, 2\)"):
        f(tf.ones([3, 3]))
    assert f.experimental_get_tracing_count() == 1


def test_reduce_retracing_relaxes_changed_dims_after_first_mismatch():
    @tf.function(reduce_retracing=True)
    def f(x):
        return x * 2.0
    f(tf.ones([1, 3]))
    f(tf.ones([2, 3]))
    assert f.experimental_get_tracing_count() == 2
    for n in (4, 5, 7):
        np.testing.assert_allclose(_np(f(tf.ones([n, 3]))), np.full([n, 3], 2.0))
    assert f.experimental_get_tracing_count() == 2
    cf = f.get_concrete_function(tf.ones([9, 3]))
    assert str(cf.graph.data_params[0].type) == "f32[?,3]"


def test_retrace_reasons_name_the_argument_and_old_to_new():
    @tf.function
    def f(x, n):
        return x * n
    f(tf.constant([1.0, 2.0, 3.0]), 1)
    f(tf.constant([1.0, 2.0, 3.0, 4.0]), 1)
    f(tf.constant([1.0, 2.0, 3.0, 4.0]), 2)
    assert f.retrace_reasons() == [
        "argument x: tensor float32[3] -> tensor float32[4]",
        "argument n: Python int 1 -> Python int 2",
    ]


def test_retrace_reason_for_a_nested_argument_names_the_path():
    @tf.function
    def f(xs):
        return xs[0] + xs[1]
    f([tf.constant(1.0), tf.constant([1.0, 2.0])])
    f([tf.constant(1.0), tf.constant([1.0, 2.0, 3.0])])
    assert f.retrace_reasons() == ["argument xs[1]: tensor float32[2] -> tensor float32[3]"]


def test_one_warning_after_five_traces_names_function_argument_and_fix():
    @tf.function
    def often_traced(x, step):
        return x + step
    x = tf.constant(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(4):
            often_traced(x, i)
    with pytest.warns(UserWarning) as record:
        often_traced(x, 4)
    assert len(record) == 1
    msg = str(record[0].message)
    assert "often_traced" in msg and "step" in msg
    assert "input_signature" in msg or "reduce_retracing" in msg
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(5, 8):
            often_traced(x, i)


def test_retrace_warning_points_at_the_callers_line():
    @tf.function
    def g(x, step):
        return x + step
    x = tf.constant(1.0)
    with pytest.warns(UserWarning) as record:
        for i in range(5):
            g(x, i)
    assert os.path.basename(record[0].filename) == HERE


SCALE = 2.0


def test_changed_global_read_by_function_retraces_instead_of_stale_result():
    global SCALE

    @tf.function
    def f(x):
        return x * SCALE
    x = tf.constant(3.0)
    try:
        np.testing.assert_allclose(_np(f(x)), 6.0)
        SCALE = 10.0
        np.testing.assert_allclose(_np(f(x)), 30.0)
        assert f.experimental_get_tracing_count() == 2
        assert "SCALE" in f.retrace_reasons()[-1]
    finally:
        SCALE = 2.0


def test_changed_closure_value_retraces_instead_of_stale_result():
    k = 1

    @tf.function
    def f(x):
        return x + k
    x = tf.constant(1)
    np.testing.assert_array_equal(_np(f(x)), 2)
    k = 5
    np.testing.assert_array_equal(_np(f(x)), 6)
    np.testing.assert_array_equal(_np(f(x)), 6)
    assert f.experimental_get_tracing_count() == 2


# -- side effects --------------------------------------------------------------------------------


def test_tf_print_runs_every_call_in_order_python_print_only_while_tracing(capsys):
    @tf.function
    def f(x):
        print("tracing")
        tf.print("first", x, output_stream=__import__("sys").stdout)
        y = x + 1
        tf.print("second", y, output_stream=__import__("sys").stdout)
        return y
    f(tf.constant(1))
    f(tf.constant(5))
    out = capsys.readouterr().out
    assert out == "tracing\nfirst 1\nsecond 2\nfirst 5\nsecond 6\n"


def test_variables_are_captured_by_reference():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        return v * x
    np.testing.assert_allclose(_np(f(tf.constant(2.0))), 2.0)
    v.assign(4.0)
    np.testing.assert_allclose(_np(f(tf.constant(2.0))), 8.0)
    assert f.experimental_get_tracing_count() == 1


def test_assign_inside_the_function_persists():
    v = tf.Variable(0)

    @tf.function
    def bump():
        v.assign_add(3)
        return v.read_value()
    np.testing.assert_array_equal(_np(bump()), 3)
    np.testing.assert_array_equal(_np(bump()), 6)
    np.testing.assert_array_equal(_np(v), 6)


def test_a_function_creating_a_variable_every_call_raises_tfs_singleton_error_on_the_first_call():
    # TF 2.x: "tf.function only supports singleton tf.Variables created on the first call",
    # raised on the first call (its second, checking trace creates another variable).
    @tf.function
    def f(x):
        v = tf.Variable(1.0)
        return v * x
    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call") as e:
        f(tf.constant(1.0))
    assert "every time it runs" in str(e.value)
    assert "non-first" not in str(e.value)


def test_creating_a_variable_in_a_later_trace_says_it_is_not_the_first_call():
    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        @tf.function
        def __call__(self, x):
            self.calls += 1
            if self.calls > 1:  # the trace for a second input shape
                tf.Variable(1.0)
            return x * 2
    m = M()
    m(tf.constant(1.0))
    with pytest.raises(ValueError, match="singleton tf.Variables") as e:
        m(tf.constant([1.0, 2.0]))
    assert "not the first call" in str(e.value)


class _LazyCounter(tf.Module):
    """The tf.Module singleton pattern: the variable is created on the first trace only."""

    def __init__(self, make_initial):
        super().__init__()
        self.v = None
        self.make_initial = make_initial

    @tf.function
    def __call__(self, x):
        if self.v is None:
            self.v = tf.Variable(self.make_initial())
        self.v.assign_add(x)
        return self.v.read_value()


def test_singleton_variable_pattern_works_with_a_python_initial_value():
    c = _LazyCounter(lambda: np.zeros([2], np.float32))
    np.testing.assert_allclose(_np(c(tf.constant([1.0, 2.0]))), [1.0, 2.0])
    np.testing.assert_allclose(_np(c(tf.constant([1.0, 2.0]))), [2.0, 4.0])
    np.testing.assert_allclose(_np(c.v), [2.0, 4.0])


def test_singleton_variable_pattern_works_with_a_tensor_initial_value():
    c = _LazyCounter(lambda: tf.zeros([2]))
    np.testing.assert_allclose(_np(c(tf.constant([1.0, 2.0]))), [1.0, 2.0])
    np.testing.assert_allclose(_np(c(tf.constant([1.0, 2.0]))), [2.0, 4.0])


def test_bool_of_symbolic_tensor_raises_type_error_mentioning_tf_cond():
    @tf.function(autograph=False)
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(TypeError, match="tf.cond"):
        f(tf.constant(1.0))


def test_run_functions_eagerly_runs_the_python_function_untraced():
    seen = []

    @tf.function
    def f(x):
        seen.append(type(x).__name__)
        return x.numpy() * 2  # only possible eagerly
    tf.config.run_functions_eagerly(True)
    try:
        assert f(tf.constant(2.0)) == 4.0
        assert f(tf.constant(3.0)) == 6.0
        assert f.experimental_get_tracing_count() == 0
        assert len(seen) == 2
    finally:
        tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()


# -- gradients ---------------------------------------------------------------------------------


def test_gradient_tape_around_a_function_call_matches_eager():
    w = tf.Variable([1.0, -2.0])

    def loss(x):
        return tf.reduce_sum(tf.square(w * x) + tf.sin(x))
    f = tf.function(loss)
    x = tf.constant([0.5, 3.0])
    grads = []
    for fn in (loss, f):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        grads.append([_np(g) for g in tape.gradient(y, [x, w])])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("make_opt", [lambda: tf.keras.optimizers.SGD(0.1),
                                      lambda: tf.keras.optimizers.Adam(0.05)],
                         ids=["sgd", "adam"])
def test_training_step_with_tape_and_optimizer_inside_matches_eager_over_20_steps(make_opt):
    x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = tf.constant([[1.0], [0.0], [2.0]])

    def run(step_fn_maker):
        w = tf.Variable([[0.1], [-0.2]])
        b = tf.Variable([0.0])
        opt = make_opt()

        def step():
            with tf.GradientTape() as tape:
                pred = tf.matmul(x, w) + b
                loss = tf.reduce_mean(tf.square(pred - y))
            grads = tape.gradient(loss, [w, b])
            opt.apply_gradients(zip(grads, [w, b]))
            return loss
        fn = step_fn_maker(step)
        losses = [float(fn().numpy())]
        counts = getattr(fn, "experimental_get_tracing_count", lambda: None)()
        losses += [float(fn().numpy()) for _ in range(19)]
        return losses, fn, counts

    eager_losses, _, _ = run(lambda s: s)
    graph_losses, fn, count_after_first_call = run(tf.function)
    np.testing.assert_allclose(graph_losses, eager_losses, rtol=1e-5)
    assert graph_losses[-1] < graph_losses[0]
    # The first call may trace twice (TF: the optimizer's slot variables are created by a first
    # trace, then a variable-free one is made); no later step retraces.
    assert count_after_first_call in (1, 2)
    assert fn.experimental_get_tracing_count() == count_after_first_call


def test_training_step_without_variable_creation_traces_once():
    w = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.SGD(0.1)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(w * x))
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss
    for _ in range(5):
        step(tf.constant([1.0, 1.0]))
    assert step.experimental_get_tracing_count() == 1


# -- errors ------------------------------------------------------------------------------------


def test_error_while_tracing_names_user_file_line_and_source_and_hides_library_frames():
    @tf.function
    def f(x):
        y = tf.add(x, tf.ones([3]))  # the bad line
        return y
    with pytest.raises(ValueError) as info:
        f(tf.ones([2]))
    msg = str(info.value)
    assert HERE in msg
    assert "tf.add(x, tf.ones([3]))  # the bad line" in msg
    frames = traceback.extract_tb(info.value.__traceback__)
    # Only the tf.function entry frame that re-raises may remain (Python always records the frame
    # a `raise` runs in); nothing from the tracer or the op library below the user's line.
    library = [fr for fr in frames if is_library_file(fr.filename)]
    assert [fr.name for fr in library] in ([], ["__call__"])
    assert not is_library_file(frames[-1].filename)
    assert any(fr.line and "the bad line" in fr.line for fr in frames)
    line_no = [fr.lineno for fr in frames if fr.line and "the bad line" in fr.line][0]
    assert f"line {line_no}" in msg


def test_function_calling_a_function_runs_the_inner_effects_every_call(capsys):
    @tf.function
    def inner(x):
        tf.print("inner", x, output_stream=__import__("sys").stdout)
        return x * 2.0

    @tf.function
    def outer(x):
        return inner(x) + 1.0
    np.testing.assert_allclose(_np(outer(tf.constant(1.0))), 3.0)
    np.testing.assert_allclose(_np(outer(tf.constant(2.0))), 5.0)
    assert capsys.readouterr().out == "inner 1\ninner 2\n"
    assert outer.experimental_get_tracing_count() == 1


def test_keyword_arguments_and_defaults_bind_like_python():
    @tf.function
    def f(a, b=1.0):
        return a + b
    np.testing.assert_allclose(_np(f(tf.constant(1.0), b=tf.constant(3.0))), 4.0)
    np.testing.assert_allclose(_np(f(a=tf.constant(1.0), b=tf.constant(5.0))), 6.0)
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(_np(f(tf.constant(1.0))), 2.0)


def test_python_list_append_in_function_happens_at_trace_time_only():
    # The seed course's "Python-list side effect": the list grows once per trace, not per call,
    # and holds the symbolic tensor of that trace (TF prints Tensor("x:0", ...)).
    tensor_list = []

    @tf.function
    def append_tensor(x):
        tensor_list.append(x)
        return x + 1

    append_tensor(tf.constant(5.0))
    append_tensor(tf.constant(6.0))
    assert len(tensor_list) == 1
    assert "shape=()" in repr(tensor_list[0]) and "float32" in repr(tensor_list[0])
    append_tensor(tf.constant([1.0]))  # a new signature traces again
    assert len(tensor_list) == 2


def test_a_trace_that_raised_can_be_retried_without_counting_as_a_retrace():
    calls = []

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def f(x):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("boom")
        return x + 1

    with pytest.raises(ValueError, match="boom"):
        f(tf.constant(1.0))
    assert f(tf.constant(1.0)).numpy() == 2.0
    assert f.retrace_reasons() == []


SCALE_FOR_GUARD_TESTS = 2.0


def test_function_reading_a_guarded_global_traces_once_over_repeated_calls():
    @tf.function
    def f(x):
        return x * SCALE_FOR_GUARD_TESTS
    for _ in range(3):
        f(tf.ones([2]))
    cf = f.get_concrete_function(tf.ones([2]))
    assert f.experimental_get_tracing_count() == 1
    assert cf is f.get_concrete_function(tf.ones([2]))


def test_relaxed_trace_retraced_for_a_changed_global_names_the_global():
    global SCALE_FOR_GUARD_TESTS

    @tf.function(reduce_retracing=True)
    def g(x):
        return x * SCALE_FOR_GUARD_TESTS
    for n in (2, 3, 4):
        g(tf.ones([n]))
    assert g.experimental_get_tracing_count() == 2
    try:
        SCALE_FOR_GUARD_TESTS = 3.0
        assert g(tf.ones([5])).numpy().tolist() == [3.0] * 5
    finally:
        SCALE_FOR_GUARD_TESTS = 2.0
    assert g.retrace_reasons()[-1] == "global 'SCALE_FOR_GUARD_TESTS': 2.0 -> 3.0"
