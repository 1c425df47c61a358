"""Silent divergence hunt: programs whose result on backend="cpu" (LLVM) once differed from the
same Python function run eagerly. Each test is one bug that was found, named by the behaviour
that now holds."""
import threading

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.errors import InvalidArgumentError

from .._compare import assert_same

pytestmark = pytest.mark.filterwarnings("ignore:.*run on the interpreter")


def _cpu_and_eager(fn, *args):
    return tf.function(fn)(*args), fn(*args)


def _same(got, want):
    assert_same(got, want, rtol=1e-5, atol=1e-6, signed_zeros=True)


# -- casts: NaN, inf and out-of-range floats (LLVM's fptosi gives poison there) -----------------
_EDGE = np.array([np.nan, np.inf, -np.inf, -1.0, 300.0, -300.0, 3e9, -3e9, 1e19, 70000.0,
                  2.5e9 + 1, -2.0 ** 31, 2.0 ** 31, 0.5, -0.5], np.float64)


@pytest.mark.parametrize("src", [tf.float16, tf.float32, tf.float64])
@pytest.mark.parametrize("dst", [tf.int8, tf.uint8, tf.int16, tf.int32, tf.int64])
def test_float_to_int_cast_of_nan_inf_and_out_of_range_values_matches_eager(src, dst):
    x = tf.cast(tf.constant(_EDGE), src)
    _same(*_cpu_and_eager(lambda v: tf.cast(v * 1, dst), x))


def test_float_to_int_cast_in_a_large_parallel_loop_matches_eager():
    x = tf.constant(np.random.RandomState(0).randn(200_000).astype(np.float32) * 4e9)
    _same(*_cpu_and_eager(lambda v: tf.cast(v, tf.int32) // 3, x))


# -- elementwise float edge cases -----------------------------------------------------------------
def test_elu_and_selu_of_nan_are_nan_as_eagerly():
    x = tf.constant([np.nan, -1.0, 0.0, 2.0], tf.float32)
    _same(*_cpu_and_eager(lambda v: (tf.nn.elu(v), tf.nn.selu(v)), x))


def test_sign_of_negative_zero_is_positive_zero_as_eagerly():
    x = tf.constant([-0.0, 0.0, np.nan, -3.0, 2.0], tf.float32)
    _same(*_cpu_and_eager(lambda v: tf.sign(v) + 0.0 * v, x))


# -- axis lists -----------------------------------------------------------------------------------
def test_reduce_over_an_axis_named_twice_raises_like_eager():
    x = tf.constant(np.ones((2, 3, 4), np.float32))
    with pytest.raises(InvalidArgumentError, match="twice"):
        tf.reduce_sum(x, axis=[0, -3])
    with pytest.raises(InvalidArgumentError, match="twice"):
        tf.function(lambda v: tf.reduce_sum(v, axis=[0, -3]))(x)


# -- threads --------------------------------------------------------------------------------------
def _hammer(fns, threads=4, calls=150):
    def work():
        for _ in range(calls):
            for f in fns:
                f()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return threads * calls


@pytest.mark.parametrize("warm", [True, False])
def test_assign_add_from_several_threads_loses_no_update(warm):
    # executables that release the GIL: one with a loop, one over 40K elements
    v = tf.Variable(0.0)
    w = tf.Variable(tf.zeros([40_000]))
    one = tf.ones([40_000])
    g = tf.function(lambda n: tf.while_loop(lambda i: i < n,
                                            lambda i: (v.assign_add(1.0), i + 1)[1], [0]))
    h = tf.function(lambda x: w.assign_add(x))
    if warm:
        g(tf.constant(1)), h(one)
    n = _hammer([lambda: g(tf.constant(1)), lambda: h(one)]) + int(warm)
    assert float(v.numpy()) == n
    np.testing.assert_array_equal(w.numpy(), np.full(40_000, n, np.float32))


def test_threads_calling_a_new_function_at_once_trace_it_once():
    v = tf.Variable(0)
    f = tf.function(lambda: v.assign_add(1))
    n = _hammer([f], threads=4, calls=20)
    assert int(v.numpy()) == n
    assert f.experimental_get_tracing_count() == 1


# -- integer mean ---------------------------------------------------------------------------------
def test_integer_mean_of_a_sum_at_int64_min_truncates_toward_zero_eagerly_and_compiled():
    x = tf.constant(np.array([[-2 ** 63, 0], [-1, 7], [1, -7]], np.int64).T)  # sums: MIN, 0
    want = np.array([-2 ** 63 // 3 + 1, 0], np.int64)
    np.testing.assert_array_equal(tf.reduce_mean(x, axis=1).numpy(), want)
    np.testing.assert_array_equal(tf.function(lambda v: tf.reduce_mean(v, axis=1))(x).numpy(),
                                  want)


# -- TensorArrays and lists a graph loop appends to -----------------------------------------------
def test_tensor_array_write_of_a_wrong_shape_raises_invalid_argument_eagerly_and_compiled():
    def fn(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(3):
            ta = ta.write(i, x[:i + 1])
        return ta.stack()
    x = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="shape"):
        fn(x)
    with pytest.raises(InvalidArgumentError, match="shape"):
        tf.function(fn)(x)


def _appended(x, n):
    out = []
    for i in tf.range(n):
        out.append(tf.reshape(x, [2, 3]) * tf.cast(i, tf.float32))
    return out


def test_concat_and_stack_of_a_list_appended_in_a_graph_loop_match_eager_on_every_axis():
    def fn(x, n):
        out = _appended(x, n)
        return (tf.concat(out, 1), tf.concat(out, -2), tf.concat(out, 0), tf.stack(out),
                tf.stack(out, axis=1), tf.stack(out, axis=-1))
    args = (tf.constant(np.arange(6, dtype=np.float32)), tf.constant(3))
    _same(*_cpu_and_eager(fn, *args))


def test_a_list_appended_in_a_graph_loop_converts_to_a_tensor_as_eagerly():
    def fn(x, n):
        out = []
        for i in tf.range(n):
            out.append(x * tf.cast(i, tf.float32))
        return tf.reduce_sum(out, axis=0), tf.convert_to_tensor(out)
    _same(*_cpu_and_eager(fn, tf.constant([1.0, 2.0]), tf.constant(4)))


def test_negative_index_into_a_list_appended_in_a_graph_loop_reads_from_the_end():
    def fn(x, n):
        out = [x]
        for i in tf.range(n):
            out.append(x * tf.cast(i + 2, tf.float32))
        return out[-1], out[-2]
    _same(*_cpu_and_eager(fn, tf.constant([1.0, 2.0]), tf.constant(3)))


# -- sizes computed at run time (a graph runs kernels without the type rules' checks) -------------
@pytest.mark.parametrize("make", [
    lambda x, n: tf.zeros(tf.stack([n, 2])),
    lambda x, n: tf.fill(tf.stack([n]), 1.0),
    lambda x, n: tf.one_hot(tf.cast(x, tf.int32), n),
    lambda x, n: tf.random.uniform(tf.stack([n])),
    lambda x, n: tf.random.normal(tf.stack([n, 1])),
    lambda x, n: tf.tile(x, tf.stack([n])),
], ids=["zeros", "fill", "one_hot", "uniform", "normal", "tile"])
@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_a_negative_size_computed_at_run_time_raises_invalid_argument_as_eagerly(make, backend):
    args = (tf.constant([1.0, 2.0]), tf.constant(-3))
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        make(*args)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.function(make, backend=backend)(*args)


def test_gather_along_an_axis_computed_at_run_time_is_a_trace_error_not_axis_zero():
    f = tf.function(lambda x, a: tf.gather(x, [0], axis=a))
    with pytest.raises(TypeError, match="axis must be known when the function is traced"):
        f(tf.constant([[1.0, 2.0]]), tf.constant(1))


@pytest.mark.parametrize("dt", [np.int8, np.int16, np.int32, np.int64])
def test_integer_division_of_int_min_truncates_toward_zero_eagerly_and_compiled(dt):
    from autograph_jit.ops.math_ops import divide_  # TF's `div` in the inputs' dtype
    lo = int(np.iinfo(dt).min)
    x = tf.constant(np.array([lo, lo, lo, -7, lo + 1], dt))
    y = tf.constant(np.array([3, -3, -1, 2, 7], dt))
    want = np.array([-(-lo // 3), -lo // 3, lo, -3, -(-(lo + 1) // 7)], dt)  # lo/-1 wraps to lo
    np.testing.assert_array_equal(divide_(x, y).numpy(), want)
    np.testing.assert_array_equal(tf.function(divide_)(x, y).numpy(), want)


def test_pow_with_one_exponent_value_follows_c_pow_at_minus_inf_and_minus_zero():
    # NumPy's scalar-exponent shortcut computes x ** 0.5 as sqrt: sqrt(-inf) = nan, sqrt(-0) = -0
    x = tf.constant([-np.inf, -0.0, 4.0, np.nan], tf.float32)
    want = np.array([np.inf, 0.0, 2.0, np.nan], np.float32)
    for got in (tf.pow(x, 0.5), tf.function(lambda v: tf.pow(v, 0.5))(x)):
        _same(want, got.numpy())


def test_threads_calling_a_module_method_at_once_share_one_trace_and_lose_no_update():
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(0)

        @tf.function
        def bump(self):
            return self.v.assign_add(1)
    m = Counter()
    n = _hammer([m.bump], threads=4, calls=20)
    assert int(m.v.numpy()) == n
    assert m.bump.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("num", [0, 1, 2, 7, -3])
def test_linspace_with_a_count_computed_at_run_time_matches_eager(num):
    _same(*_cpu_and_eager(lambda k: tf.linspace(-1.0, 2.0, k), tf.constant(num)))


@pytest.mark.parametrize("num", [0, 1, 3])
def test_eye_with_sizes_computed_at_run_time_matches_eager(num):
    fn = lambda k: (tf.eye(k), tf.eye(2, k, dtype=tf.int8), tf.eye(k, batch_shape=[2]))
    _same(*_cpu_and_eager(fn, tf.constant(num)))


def test_eye_with_a_negative_size_raises_invalid_argument_eagerly_and_compiled():
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.eye(-1)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.function(lambda k: tf.eye(k))(tf.constant(-1))


@pytest.mark.parametrize("op", [tf.argmax, tf.argmin, tf.cumsum])
def test_an_axis_computed_at_run_time_is_a_clear_trace_time_error(op):
    f = tf.function(lambda x, a: op(x, axis=a), autograph=False)
    with pytest.raises(TypeError, match="axis must be known when the function is traced"):
        f(tf.constant([[1.0, 5.0], [3.0, 2.0]]), tf.constant(1))
    assert op(tf.constant([[1.0, 5.0], [3.0, 2.0]]), axis=tf.constant(1)).shape[0] == 2  # eager
