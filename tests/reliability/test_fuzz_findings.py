"""Minimal reproductions of what the random-program fuzzer found. Fixed findings are plain tests;
bugs in another engineer's area are `xfail(strict=True)` until fixed (then the mark goes, and
the matching signature in known.py with it)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ops.opdef import InvalidArgumentError

MODES = ("eager", "cpu")


def _both(fn, *args):
    return [tf.function(fn, backend=m)(*args) for m in MODES]


@pytest.mark.parametrize("backend", [None, "eager", "cpu"])
def test_integer_division_by_zero_with_an_empty_result_returns_empty_like_tf(backend):
    # fuzz seed 160: TF only fails a division it performs; an empty result performs none
    def f(x):
        return x // 0, x % 0, tf.math.truediv(x, tf.zeros([1], tf.int32))
    x = tf.constant(np.zeros((2, 0), np.int32))
    fn = f if backend is None else tf.function(f, backend=backend)
    for r in fn(x):
        assert r.shape == (2, 0)
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        fn(tf.constant(np.ones((2, 1), np.int32)))


@pytest.mark.xfail(strict=True, reason="gradient through a dynamic_size TensorArray written in a "
                   "graph loop raises 'could not write to TensorArray index 2: the array holds "
                   "elements of shape [1, 2]' (fuzz seed 147; ops/tensor_array.py, while_grad.py)")
@pytest.mark.parametrize("backend", MODES)
def test_gradient_through_a_dynamic_tensor_array_in_a_loop_matches_eager(backend):
    def f(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
            for i in tf.range(3):
                ta = ta.write(i, a * tf.cast(i, tf.float32))
            loss = tf.reduce_sum(ta.stack())
        return tape.gradient(loss, a)
    a = tf.constant(np.ones((2,), np.float32))
    np.testing.assert_array_equal(tf.function(f, backend=backend)(a).numpy(), [3.0, 3.0])


@pytest.mark.xfail(strict=True, reason="inside tf.function a variable write is lost when a later "
                   "op raises; eagerly (and in TF graphs) the write has happened (fuzz seed 104)")
@pytest.mark.parametrize("backend", MODES)
def test_a_variable_write_before_a_failing_op_is_kept_as_in_eager(backend):
    v = tf.Variable([1, 2])

    def f(d):  # the division reads v after the write, so it runs after it (in TF too)
        v.assign_sub(d)
        return tf.constant([5, 5]) // v.read_value()
    fn = tf.function(f, backend=backend)
    with pytest.raises(InvalidArgumentError):
        fn(tf.constant([1, 1]))
    np.testing.assert_array_equal(v.numpy(), [0, 1])


@pytest.mark.xfail(strict=True, reason="an error raised by native code shared through the lowering "
                   "cache names the first function's file and line, not the caller's (fuzz seed "
                   "104: 'Integer division by zero (at <fuzz ... mode=interpreter>:11)' raised by "
                   "the cpu function)")
def test_a_native_error_names_the_line_of_the_function_that_raised(tmp_path):
    srcs = {}
    for name in ("first", "second"):
        path = tmp_path / f"{name}_mod.py"
        path.write_text("import autograph_jit as tf\n\ndef f(x, d):\n    return x // d\n")
        ns = {}
        exec(compile(path.read_text(), str(path), "exec"), ns)
        srcs[name] = (path, ns["f"])
    args = (tf.constant([1, 2]), tf.constant([0, 1]))
    for name, (path, f) in srcs.items():
        with pytest.raises(InvalidArgumentError) as err:
            tf.function(f, backend="cpu")(*args)
        assert f"{name}_mod.py" in str(err.value), str(err.value)


@pytest.mark.parametrize("backend", MODES)
@pytest.mark.parametrize("shape,axis", [((3, 0), 0), ((0, 2), 0), ((2, 3), 1), ((4,), None)])
def test_reduce_mean_gradient_with_unknown_dims_matches_eager_even_when_empty(backend, shape, axis):
    # fuzz seed 50: the dynamic-shape VJP divided size(x) by size(out) as integers
    def f(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = tf.reduce_sum(tf.reduce_mean(a, axis=axis) * 3.0)
        return tape.gradient(loss, a)
    a = tf.constant(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    spec = [tf.TensorSpec([None] * len(shape), tf.float32)]
    got = tf.function(f, backend=backend, input_signature=spec)(a).numpy()
    want = f(a).numpy()
    assert got.shape == want.shape == shape
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [3, 17, 1000])
def test_a_fused_sum_of_a_difference_keeps_nan_and_inf_on_cpu(dtype, n):
    # fuzz seed 584: `reassoc nsz` on the accumulator let LLVM's Reassociate pass split the
    # element's fsub into the sum and cancel x - x to 0 (a NaN/inf input gave 0.0)
    x = np.linspace(-3, 3, n).astype(dtype)
    x[1] = np.nan
    y = x.copy()
    y[1], y[2] = 1.0, np.inf

    def f(a, b):
        return (tf.reduce_sum(a - a), tf.reduce_mean(b - b), tf.reduce_sum(b - b, axis=0),
                tf.reduce_prod(b - b + 1.0), tf.reduce_sum(a * 3.0 - a * 3.0))
    got = tf.function(f, backend="cpu")(tf.constant(x), tf.constant(y))
    want = f(tf.constant(x), tf.constant(y))
    for g, w in zip(got, want):
        assert np.isnan(w.numpy())
        assert np.isnan(g.numpy()), (g, w)


@pytest.mark.parametrize("epilogue", ["greater", "cast"])
def test_a_matmul_followed_by_a_comparison_or_cast_compiles_natively(epilogue):
    import warnings

    def f(a):
        m = tf.matmul(a, a)
        return m > 0.5 if epilogue == "greater" else tf.cast(m, tf.int32)
    a = tf.constant(np.array([[2.0, 1.0], [1.0, -1.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tf.function(f, backend="cpu")(a)
    np.testing.assert_array_equal(got.numpy(), f(a).numpy())


@pytest.mark.parametrize("backend", MODES)
@pytest.mark.parametrize("op,a,b,message", [
    (tf.add, (2, 3), (4, 3), r"Incompatible shapes: \[2,3\] vs. \[4,3\] \[Op:add\]"),
    (tf.less, (2, 3), (0, 3), r"Incompatible shapes: \[2,3\] vs. \[0,3\] \[Op:less\]"),
    (tf.matmul, (0, 3), (0, 3), r"Matrix size-incompatible: In\[0\]: \[0, 3\], In\[1\]: \[0, 3\]"),
])
def test_a_shape_mismatch_behind_unknown_dims_raises_eagers_error_at_run_time(
        backend, op, a, b, message):
    # fuzz seeds 81/97/176: traced with None dims, the interpreter's NumPy kernel raised NumPy's
    # ValueError ("operands could not be broadcast together") instead of InvalidArgumentError
    spec = [tf.TensorSpec([None, 3], tf.float32)] * 2
    fn = tf.function(lambda x, y: op(x, y), backend=backend, input_signature=spec)
    x, y = tf.zeros(a), tf.zeros(b)
    with pytest.raises(InvalidArgumentError, match=message):
        op(x, y)
    with pytest.raises(InvalidArgumentError, match=message):
        fn(x, y)


def test_a_fusion_with_a_known_filled_array_compiles_natively():
    # fuzz seed 498: specialization knew a node's value as a filled array (a gradient of -1s)
    # and the map kernel turned it into a scalar constant with float(array): TypeError, and the
    # whole function fell back to the interpreter
    import warnings

    def f(b):
        with tf.GradientTape() as tape:
            tape.watch(b)
            v2 = tf.expand_dims(b, 0)
            v3 = tf.cond(tf.reduce_any(v2 > -1.0), lambda: tf.stop_gradient(v2), lambda: -v2)
            loss = tf.reduce_sum(tf.cos(b) + v3)
        return tape.gradient(loss, b)
    b = tf.constant(np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tf.function(f, backend="cpu")(b)
    np.testing.assert_allclose(got.numpy(), -np.sin(b.numpy()), rtol=1e-6)


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_a_grown_arrays_stack_written_into_a_fixed_array_in_a_loop_compiles_without_error(rows):
    # fuzz seed 101699: the CPU backend failed on it (AttributeError: 'GrowView' object has no
    # attribute 'shape') and the whole function fell back to the interpreter
    def f(a):
        grown = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        for i in tf.range(3):
            grown = grown.write(i, a * tf.cast(i, tf.float64))
        stacked = grown.stack()
        fixed = tf.TensorArray(tf.float64, size=rows, element_shape=[3, 1])
        for i in tf.range(rows):
            fixed = fixed.write(i, stacked)
        return fixed.stack()
    a = tf.constant(np.array([1.5], np.float64))
    want = f(a).numpy()
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tf.function(f, backend="cpu")(a).numpy()
    assert [str(w.message) for w in caught if "could not compile it" in str(w.message)] == []
    assert got.shape == want.shape == (rows, 3, 1)
    np.testing.assert_array_equal(got, want)
