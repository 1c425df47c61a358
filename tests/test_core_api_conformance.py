"""TF2 core APIs the guides use, eagerly and inside tf.function: custom_gradient, py_function /
numpy_function, einsum and tf.linalg errors, executing_eagerly / init_scope / device,
__version__, and tape.gradient(v, v). Expected values are TF 2.x's documented behaviour."""
import numpy as np
import pytest

import autograph_jit as tf


# -- tf.custom_gradient -------------------------------------------------------------------------


@tf.custom_gradient
def log1pexp(x):
    """The TF guide's example: the naive gradient is NaN at x=100, the custom one is 1."""
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))
    return tf.math.log(1 + e), grad


@tf.custom_gradient
def clip_gradients(y):
    def backward(dy):
        return tf.clip_by_value(dy, -0.5, 0.5)
    return y, backward


def test_custom_gradient_replaces_the_naive_gradient_eagerly():
    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert tape.gradient(y, x).numpy() == 1.0


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_custom_gradient_with_the_tape_inside_a_function(backend):
    @tf.function(backend=backend)
    def grad_of(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = log1pexp(x)
        return y, tape.gradient(y, x)

    y, g = grad_of(tf.constant(100.0))
    assert g.numpy() == 1.0
    assert np.isinf(y.numpy())  # log(1 + exp(100)) overflows float32, in TF too


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_custom_gradient_survives_a_function_called_under_an_outer_tape(backend):
    f = tf.function(lambda x: log1pexp(x) * 2.0, backend=backend, autograph=False)
    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert tape.gradient(y, x).numpy() == 2.0


def test_custom_gradient_clips_the_upstream_gradient_of_a_variable_expression():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        out = clip_gradients(v * v)
    # upstream 1 is clipped to 0.5, then d(v*v)/dv = 2v = 4 scales it: 2, not the true 4
    assert tape.gradient(out, v).numpy() == pytest.approx(2.0)


def test_custom_gradient_with_variables_passes_them_to_grad_fn():
    w = tf.Variable([1.0, 2.0])

    @tf.custom_gradient
    def scaled(x):
        def grad(dy, variables=None):
            assert [v.name for v in variables] == [w.name]
            return dy * 10.0, [tf.ones_like(w) * 7.0]
        return x * tf.reduce_sum(w), grad

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x)
    gx, gw = tape.gradient(y, [x, w])
    assert gx.numpy() == 10.0
    np.testing.assert_array_equal(gw.numpy(), [7.0, 7.0])


def test_custom_gradient_with_variables_but_no_variables_argument_raises_type_error():
    w = tf.Variable(1.0)

    @tf.custom_gradient
    def f(x):
        return x * w, lambda dy: dy

    with pytest.raises(TypeError, match="must accept a keyword argument 'variables'"):
        with tf.GradientTape():
            f(tf.constant(1.0))


def test_custom_gradient_second_order_differentiates_grad_fn():
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x
        return x * x * x, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        dy = inner.gradient(y, x)
    assert dy.numpy() == 12.0
    assert outer.gradient(dy, x).numpy() == 12.0


def test_custom_gradient_that_returns_no_grad_fn_is_a_clear_type_error():
    @tf.custom_gradient
    def f(x):
        return x

    with pytest.raises(TypeError, match=r"must return \(outputs, grad_fn\)"):
        f(tf.constant(1.0))


# -- tf.py_function / tf.numpy_function ---------------------------------------------------------


def test_py_function_runs_on_every_call_of_a_compiled_function():
    calls = []

    def record(x):
        calls.append(float(x.numpy()))
        return x * 2

    @tf.function
    def f(x):
        return tf.py_function(record, [x], tf.float32) + 1

    assert f(tf.constant(1.0)).numpy() == 3.0
    assert f(tf.constant(2.0)).numpy() == 5.0
    assert calls == [1.0, 2.0]


def test_py_function_gradient_inside_a_function():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.py_function(lambda t: t * t * t, [x], tf.float32)
        return tape.gradient(y, x)

    assert f(tf.constant(2.0)).numpy() == pytest.approx(12.0)


def test_py_function_with_a_list_tout_returns_a_list():
    @tf.function
    def f(x):
        return tf.py_function(lambda t: (t + 1, tf.cast(t, tf.int32)), [x], [tf.float32, tf.int32])

    a, b = f(tf.constant(2.5))
    assert a.numpy() == 3.5 and b.numpy() == 2 and b.dtype == tf.int32


def test_py_function_output_count_mismatch_names_tout():
    @tf.function
    def f(x):
        return tf.py_function(lambda t: (t, t), [x], [tf.float32])

    with pytest.raises(tf.errors.InvalidArgumentError, match="Tout"):
        f(tf.constant(1.0))


def test_numpy_function_hands_numpy_arrays_and_has_no_gradient():
    seen = []

    def fn(a):
        seen.append(type(a))
        return np.sort(a)

    @tf.function
    def f(x):
        return tf.numpy_function(fn, [x], tf.float32)

    np.testing.assert_array_equal(f(tf.constant([3.0, 1.0, 2.0])).numpy(), [1, 2, 3])
    assert seen == [np.ndarray]
    x = tf.constant([3.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert tape.gradient(y, x) is None


# -- einsum and tf.linalg -----------------------------------------------------------------------


def test_einsum_inside_a_function_matches_numpy():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    b = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    f = tf.function(lambda x, y: tf.einsum("ij,jk->ik", x, y))
    np.testing.assert_allclose(f(a, b).numpy(), a @ b)


def test_einsum_mismatched_dimension_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="dimension 'j'"):
        tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([4, 2]))


def test_einsum_bad_operand_count_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="names 2 operand"):
        tf.einsum("ij,jk->ik", tf.ones([2, 3]))


def test_inverse_of_a_singular_matrix_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix_inverse"):
        tf.linalg.inv(tf.zeros([2, 2]))


def test_cholesky_of_a_non_positive_definite_matrix_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cholesky decomposition"):
        tf.linalg.cholesky(tf.constant([[1.0, 2.0], [2.0, 1.0]]))


def test_linalg_of_a_non_square_matrix_names_the_op():
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix_determinant.*square"):
        tf.linalg.det(tf.ones([2, 3]))


@pytest.mark.parametrize("ord_,want", [("euclidean", 5.0), (1, 7.0), (np.inf, 4.0), (3, 4.497941)])
def test_vector_norms_match_numpy(ord_, want):
    got = tf.norm(tf.constant([3.0, -4.0]), ord=ord_)
    assert got.numpy() == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("ord_", ["fro", 1, np.inf, 2])
def test_matrix_norms_match_numpy(ord_):
    a = np.array([[1.0, -2.0], [3.0, 4.0]])
    got = tf.norm(tf.constant(a), ord=ord_, axis=[-2, -1])
    assert got.numpy() == pytest.approx(np.linalg.norm(a, ord=ord_), rel=1e-6)


def test_linalg_runs_inside_a_compiled_function_without_a_fallback_warning(recwarn):
    @tf.function
    def f(a, b):
        return tf.linalg.solve(a, b) + tf.linalg.det(a)

    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    b = np.array([[1.0], [2.0]])
    np.testing.assert_allclose(f(a, b).numpy(), np.linalg.solve(a, b) + np.linalg.det(a))
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]


# -- where ops run ------------------------------------------------------------------------------


def test_executing_eagerly_is_false_while_tracing_and_true_in_init_scope():
    seen = {}

    @tf.function
    def f(x):
        seen["traced"] = tf.executing_eagerly()
        with tf.init_scope():
            seen["init_scope"] = tf.executing_eagerly()
            seen["value"] = tf.constant(2) * 3  # a concrete value, even while tracing
        return x + 1

    assert tf.executing_eagerly()
    f(tf.constant(1))
    assert seen["traced"] is False and seen["init_scope"] is True
    assert seen["value"].numpy() == 6


def test_run_functions_eagerly_makes_executing_eagerly_true_inside():
    seen = []
    f = tf.function(lambda x: seen.append(tf.executing_eagerly()) or x)
    tf.config.run_functions_eagerly(True)
    try:
        f(tf.constant(1))
    finally:
        tf.config.run_functions_eagerly(False)
    assert seen == [True]


@pytest.mark.parametrize("name", ["/cpu:0", "/CPU:0", "/device:CPU:0", "cpu",
                                  "/job:localhost/replica:0/task:0/device:CPU:0", None, ""])
def test_device_accepts_tf_cpu_device_strings(name):
    with tf.device(name):
        assert (tf.constant(1.0) + 1).numpy() == 2.0


def test_device_gpu_without_a_gpu_and_soft_placement_off_is_a_clear_unavailable_error():
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(tf.errors.UnavailableError, match="no GPU is available"):
            with tf.device("/gpu:0"):
                pass
    finally:
        tf.config.set_soft_device_placement(True)


def test_device_with_a_malformed_name_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse device name"):
        tf.device("/dev/cpu0")


def test_version_is_a_string():
    assert isinstance(tf.__version__, str) and tf.__version__.count(".") >= 1


def test_gradient_of_a_variable_with_respect_to_itself_is_one():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        pass
    assert tape.gradient(v, v).numpy() == 1.0
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        pass
    np.testing.assert_array_equal(tape.gradient(w, w).numpy(), [1.0, 1.0])


# -- AutoGraph and the tf.function contract -----------------------------------------------------


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_python_numbers_changed_by_a_tensor_loop_become_loop_tensors(backend):
    @tf.function(backend=backend)
    def digits(n):
        s = 0
        i = 0
        while i < n:  # `s` only becomes a tensor once `i` is one: both are carried
            s = s * 10 + i
            i += 1
        return s

    assert digits(tf.constant(4)).numpy() == 123


def test_python_values_returned_from_a_function_come_back_as_tensors():
    @tf.function
    def f(x):
        return 3, [1.0, 2.0], None

    n, pair, nothing = f(tf.constant(1))
    assert isinstance(n, tf.Tensor) and n.dtype == tf.int32 and n.numpy() == 3
    assert [t.dtype for t in pair] == [tf.float32, tf.float32]
    assert nothing is None


def test_concrete_function_rejects_another_python_value_than_traced():
    @tf.function
    def f(x, b):
        return x + b

    cf = f.get_concrete_function(tf.constant(1), 2)
    assert cf(tf.constant(1), 2).numpy() == 3
    with pytest.raises(TypeError, match="argument 'b' was 2 .* passes 3"):
        cf(tf.constant(1), 3)
    with pytest.raises(TypeError, match="argument 'b' was 2"):
        cf(tf.constant(1), b=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        cf(tf.constant(1), 2, c=1)


def test_numpy_of_a_graph_tensor_that_leaked_out_is_an_attribute_error():
    leaked = []

    @tf.function
    def f(x):
        leaked.append(x + 1)
        return x

    f(tf.constant(1))
    with pytest.raises(AttributeError, match="symbolic tensor"):
        leaked[0].numpy()
    assert not hasattr(leaked[0], "numpy")


@pytest.mark.parametrize("fn", [tf.reduce_sum, tf.add, tf.exp])
def test_unknown_keyword_errors_name_the_public_function(fn):
    args = (tf.ones([2]),) if fn is not tf.add else (tf.ones([2]), tf.ones([2]))
    with pytest.raises(TypeError, match=rf"^{fn.__name__}\(\) got an unexpected keyword"):
        fn(*args, axsi=1)


def test_int32_times_float32_is_type_error_traced_and_invalid_argument_eagerly():
    @tf.function
    def f(a, b):
        return a * b

    with pytest.raises(TypeError, match="does not match type int32"):
        f(tf.constant(1), tf.constant(2.0))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1) * tf.constant(2.0)


def test_gpu_backend_without_a_gpu_is_a_clear_unavailable_error_not_a_silent_fallback():
    f = tf.function(lambda x: x + 1, backend="gpu", autograph=False)
    with pytest.raises(tf.errors.UnavailableError, match="backend='cpu'"):
        f(tf.constant(1))


def test_importing_and_decorating_never_touches_cuda():
    import subprocess
    import sys
    code = ("import sys, autograph_jit as tf\n"
            "tf.function(lambda x: x, backend='gpu')\n"
            "import autograph_jit.runtime.cuda_probe as p\n"
            "assert p._answer is None, 'CUDA was probed'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_dict_items_written_under_a_tensor_if_follow_the_branch_taken(backend):
    @tf.function(backend=backend)
    def pick(x):
        d = {"a": 0.0, "keep": 5.0}
        alias = d
        if x > 0:
            d["a"] = 1.0
        else:
            d["a"] = 2.0
        return d["a"], alias["a"], d["keep"]

    assert [float(t) for t in pick(tf.constant(1.0))] == [1.0, 1.0, 5.0]
    assert [float(t) for t in pick(tf.constant(-1.0))] == [2.0, 2.0, 5.0]


def test_dict_key_added_on_one_branch_only_is_a_located_value_error():
    @tf.function
    def f(x):
        d = {"a": 0.0}
        if x > 0:
            d["b"] = 1.0
        return d["a"]

    with pytest.raises(ValueError, match="'d' has a different structure"):
        f(tf.constant(1.0))


def test_return_inside_try_whose_except_catches_returns_the_except_value():
    def raiser():
        raise ValueError("no")

    @tf.function
    def f(x):
        try:
            return raiser()
        except ValueError:
            return x + 1

    assert f(tf.constant(1)).numpy() == 2


def test_batch_jacobian_is_the_per_example_jacobian():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    w = tf.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.matmul(x, w) * x[:, :1]
    got = tape.batch_jacobian(y, x).numpy()
    xv, wv = x.numpy(), w.numpy()
    want = np.zeros((2, 3, 2), np.float32)
    for b in range(2):
        want[b] = (wv.T * xv[b, 0])
        want[b, :, 0] += xv[b] @ wv
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_print_of_a_concrete_function_lists_parameters_outputs_and_captures():
    v = tf.Variable(1.0)

    @tf.function
    def f(x, y, flag=True):
        return x * v + y, [x]

    cf = f.get_concrete_function(tf.TensorSpec([None, 3]), tf.constant(2.0), flag=False)
    text = str(cf)
    assert text == cf.pretty_printed_signature()
    lines = text.splitlines()
    assert lines[:4] == [
        "ConcreteFunction Input Parameters:",
        "  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)",
        "  y (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)",
        "  flag (POSITIONAL_OR_KEYWORD): Literal[False]"]
    assert lines[4:6] == [
        "Output Type:",
        "  Tuple[TensorSpec(shape=(None, 3), dtype=tf.float32, name=None), "
        "List[TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)]]"]
    assert lines[6] == "Captures:" and lines[7].endswith(
        ": TensorSpec(shape=(), dtype=tf.resource, name=None)")


def test_code_without_source_warns_at_the_users_line_and_the_bool_error_says_why():
    import subprocess
    import sys
    code = ("import autograph_jit as tf\n"
            "@tf.function\n"
            "def h(x):\n"
            "    if x > 0:\n"
            "        return x\n"
            "    return -x\n"
            "h(tf.constant(1.0))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "<string>:2: UserWarning: AutoGraph could not convert 'h': its source code is not " \
           "available" in out.stderr
    assert "notebook cell" in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("TypeError: Using a symbolic `tf.Tensor` as a Python `bool`")
    assert "could not convert 'h' (its source code is not available)" in last
    assert "(tf.function(autograph=True), the default)" not in last


def test_strict_function_raises_without_warning_first(recwarn):
    @tf.function(strict=True)
    def f(x):
        return tf.boolean_mask(x, x > 0)

    with pytest.raises(tf.errors.FallbackError):
        f(tf.constant([1.0, -1.0]))
    assert not [w for w in recwarn.list if "strict=True" in str(w.message)]


def test_to_dot_is_deterministic_and_renders_the_optimized_graph():
    import subprocess
    import sys
    code = ("import autograph_jit as tf\n"
            "g = tf.function(lambda x: tf.nn.relu(x * 2.0 + 1.0), autograph=False)\n"
            "cf = g.get_concrete_function(tf.ones([3]))\n"
            "print(cf.to_dot()); print(cf.to_dot('optimized'))\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    assert 'label="constant\\n2.0' in runs[0] and "subgraph cluster_1" in runs[0]
