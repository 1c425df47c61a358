"""Native index ops with run-time positions (codegen/llvm/k_index.py): backend="cpu" agrees with
backend="eager" for strided_slice_update / strided_slice_grad with run-time indices, TensorArray
reads and writes, mirror pads and the gather scatters, raises eager's InvalidArgumentError for
out-of-range indices, and runs them without host callbacks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf
from autograph_jit.ops.slicing import strided_slice_update

from .._compare import assert_native, assert_same


def _both(fn, *args):
    cf = tf.function(fn, backend="cpu").get_concrete_function(*args)
    got = cf(*args)
    want = tf.function(fn, backend="eager")(*args)
    as_list = (lambda r: list(r) if isinstance(r, (list, tuple)) else [r])
    return [np.asarray(g) for g in as_list(got)], [np.asarray(w) for w in as_list(want)], cf


def _native(cf, ops):
    """Every op of `ops` present in the graph and lowered natively (no fallback, no callback)."""
    assert_native(cf)
    ran = {n.op.name for n in cf.optimized_graph.walk()}
    assert ops <= ran, ran


def _same(got, want):
    assert_same(got, want, rtol=1e-6, atol=1e-6)


def _x(shape, dtype=np.float32):
    return tf.constant(np.arange(np.prod(shape)).reshape(shape).astype(dtype) - 3)


def _row_update(x, i):
    return strided_slice_update(x, i, x[0] * 3.0)


def _col_update(x, i):
    return strided_slice_update(x, (slice(None), i), x[:, 0] + 1.0)


def _update_grad(x, i):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(strided_slice_update(x, i, x[0] * 3.0) ** 2)
    return t.gradient(y, x)


def _index_grad(x, i):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x[i] ** 2) + tf.reduce_sum(x[:, i] * x[0, 0])
    return t.gradient(y, x)


def _strided_row_grad(x, i):
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x[i, ::2] ** 3)
    return t.gradient(y, x)


CASES = {"update row": (_row_update, {"strided_slice_update"}),
         "update column": (_col_update, {"strided_slice_update"}),
         "update grad": (_update_grad, {"strided_slice_update", "strided_slice_grad"}),
         "index grad": (_index_grad, {"strided_slice_grad"}),
         "strided row grad": (_strided_row_grad, {"strided_slice_grad"})}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("index", [0, 2, -1, -3])
def test_runtime_index_writes_match_eager_natively(name, index):
    fn, ops = CASES[name]
    x = _x((3, 4))
    got, want, cf = _both(fn, x, tf.constant(index))
    _same(got, want)
    _native(cf, ops)


@pytest.mark.parametrize("name", ["update row", "update grad", "strided row grad"])
@pytest.mark.parametrize("index", [3, -4, 100])
def test_runtime_index_out_of_range_raises_eager_error(name, index):
    fn, _ = CASES[name]
    x = _x((3, 4))
    with pytest.raises(tf.errors.InvalidArgumentError) as eager:
        tf.function(fn, backend="eager")(x, tf.constant(index))
    cf = tf.function(fn, backend="cpu").get_concrete_function(x, tf.constant(index))
    with pytest.raises(tf.errors.InvalidArgumentError) as cpu:
        cf(x, tf.constant(index))
    head = str(eager.value).split(" [Op:")[0]
    assert head in str(cpu.value)


def test_variable_slice_assign_in_loop_is_native():
    v = tf.Variable(np.zeros((4, 3), np.float32))

    def f(x):
        for i in tf.range(4):
            v[i].assign(x * tf.cast(i, tf.float32))
        return v.read_value()
    x = tf.constant([1.0, 2.0, 3.0])
    cf = tf.function(f, backend="cpu").get_concrete_function(x)
    got = np.asarray(cf(x))
    np.testing.assert_array_equal(got, np.arange(4, dtype=np.float32)[:, None] * [1, 2, 3])
    _native(cf, {"strided_slice_update"})


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(-6, 6), st.booleans())
def test_row_update_property_matches_eager(rows, cols, index, as_int64):
    x = _x((rows, cols))
    i = tf.constant(np.int64(index) if as_int64 else np.int32(index))
    f_cpu = tf.function(_row_update, backend="cpu")
    f_eager = tf.function(_row_update, backend="eager")
    try:
        want = np.asarray(f_eager(x, i))
    except tf.errors.InvalidArgumentError:
        with pytest.raises(tf.errors.InvalidArgumentError):
            f_cpu(x, i)
        return
    np.testing.assert_array_equal(np.asarray(f_cpu(x, i)), want)


# ----------------------------------------------------------------------------------------------
# TensorArray
# ----------------------------------------------------------------------------------------------


def _ta_sum(x):
    ta = tf.TensorArray(tf.float32, size=3).unstack(x)
    s = tf.zeros([4])
    for i in tf.range(3):
        s = s + ta.read(i)
    return s


def _ta_write(x):
    ta = tf.TensorArray(tf.float32, size=3, element_shape=[4])
    for i in tf.range(3):
        ta = ta.write(i, x[i] * 2.0)
    return ta.stack()


def test_tensor_array_read_and_write_in_loops_are_native():
    x = _x((3, 4))
    for fn, ops in ((_ta_sum, {"tensor_array_read"}), (_ta_write, {"tensor_array_write"})):
        got, want, cf = _both(fn, x)
        _same(got, want)
        _native(cf, ops)


@pytest.mark.parametrize("index", [3, -1])
def test_tensor_array_out_of_range_raises_eager_error(index):
    def read(x, i):
        return tf.TensorArray(tf.float32, size=3).unstack(x).read(i)

    def write(x, i):
        return tf.TensorArray(tf.float32, size=3, element_shape=[4]).write(i, x[0]).stack()
    x = _x((3, 4))
    for fn in (read, write):
        with pytest.raises(tf.errors.InvalidArgumentError) as eager:
            tf.function(fn, backend="eager")(x, tf.constant(index))
        with pytest.raises(tf.errors.InvalidArgumentError) as cpu:
            tf.function(fn, backend="cpu")(x, tf.constant(index))
        assert str(eager.value).split(".")[1][:30] in str(cpu.value)


# ----------------------------------------------------------------------------------------------
# gathers, scatter-add gradients, mirror pads (codegen/llvm/k_gather.py)
# ----------------------------------------------------------------------------------------------


def _gather_and_grad(axis, indices):
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.gather(x, indices, axis=axis)
            loss = tf.reduce_sum(y * y)
        return [y, t.gradient(loss, x)]
    return f


def _gather_nd_and_grad(indices):
    def f(x, i):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.gather_nd(x, i)
            loss = tf.reduce_sum(y * y)
        return [y, t.gradient(loss, x)]
    return f


@pytest.mark.parametrize("axis,indices", [(0, [0, 2, 0]), (1, [[3, 1], [1, 1]]), (-1, [2])])
def test_gather_grad_accumulates_duplicates_natively(axis, indices):
    got, want, cf = _both(_gather_and_grad(axis, indices), _x((3, 4)))
    _same(got, want)
    _native(cf, {"gather_grad"})


@pytest.mark.parametrize("shape,indices", [
    ((3, 4), [[0, 1], [2, 3], [0, 1]]), ((3, 4), [[2], [0], [2]]),
    ((2, 3, 4), [[[1, 2]], [[0, 0]]]), ((3, 4), np.zeros((0, 2), np.int32))])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_gather_nd_and_its_gradient_match_eager_natively(shape, indices, index_dtype):
    i = tf.constant(np.asarray(indices, index_dtype))
    got, want, cf = _both(_gather_nd_and_grad(indices), _x(shape), i)
    _same(got, want)
    _native(cf, {"gather_nd", "gather_nd_grad"})


@pytest.mark.parametrize("indices", [[[0, 4]], [[3, 0]], [[0, 1], [-1, 0]]])
def test_gather_nd_out_of_range_raises_eager_error(indices):
    f = _gather_nd_and_grad(indices)
    x, i = _x((3, 4)), tf.constant(indices)
    with pytest.raises(tf.errors.InvalidArgumentError) as eager:
        tf.function(f, backend="eager")(x, i)
    with pytest.raises(tf.errors.InvalidArgumentError) as cpu:
        tf.function(f, backend="cpu")(x, i)
    assert str(eager.value).split(" [Op:")[0] in str(cpu.value)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.sampled_from(["REFLECT",
                                                                           "SYMMETRIC"]),
       st.data())
def test_mirror_pad_and_its_gradient_match_eager_natively(shape, mode, data):
    limit = (lambda d: d - 1) if mode == "REFLECT" else (lambda d: d)
    pads = [[data.draw(st.integers(0, limit(d))), data.draw(st.integers(0, limit(d)))]
            for d in shape]

    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.pad(x, pads, mode=mode)
            loss = tf.reduce_sum(y * y)
        return [y, t.gradient(loss, x)]
    got, want, cf = _both(f, _x(tuple(shape), np.float64))
    _same(got, want)
    _native(cf, {"pad", "mirror_pad_grad"})


# ----------------------------------------------------------------------------------------------
# argsort and reduce_prod_grad (codegen/llvm/k_rowscan.py)
# ----------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=2),
       st.sampled_from([np.float32, np.float64, np.int32, np.int64]),
       st.sampled_from(["ASCENDING", "DESCENDING"]), st.data())
def test_argsort_is_stable_and_places_nan_like_numpy(shape, dtype, direction, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))
    x = rng.integers(-3, 3, size=shape).astype(dtype)  # many ties
    if np.dtype(dtype).kind == "f":
        x[rng.random(shape) < 0.25] = np.nan
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    got, want, cf = _both(lambda t: tf.argsort(t, axis=axis, direction=direction),
                          tf.constant(x))
    np.testing.assert_array_equal(got[0], want[0])
    if x.shape[axis] > 1:  # sorting length-1 rows folds to zeros at compile time
        _native(cf, {"argsort"})


def test_sort_of_a_vector_is_native_and_matches_eager():
    x = tf.constant([3.0, np.nan, -1.0, 3.0, 0.5])
    got, want, cf = _both(lambda t: tf.sort(t * 2.0, direction="DESCENDING"), x)
    np.testing.assert_array_equal(got[0], want[0])
    _native(cf, {"argsort"})


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_reduce_prod_gradient_matches_eager_bitwise_natively(axis):
    x = tf.constant(np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32))
    x = x * tf.constant(np.arange(24).reshape(2, 3, 4) % 5 != 0, dtype=tf.float32)  # zeros

    def f(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_sum(tf.reduce_prod(t, axis=axis))
        return tape.gradient(y, t)
    got, want, cf = _both(f, x)
    np.testing.assert_array_equal(got[0], want[0])
    _native(cf, {"reduce_prod_grad"})


@settings(max_examples=30, deadline=None)
@given(st.integers(-7, 7), st.integers(-7, 7), st.sampled_from([1, 2, -1, -2]))
def test_gradient_of_a_runtime_bounds_slice_is_native_and_matches_eager(start, stop, step):
    def f(x, i, j):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(x[i:j:step] ** 2)
        return t.gradient(y, x)
    args = (_x((5, 3)), tf.constant(start), tf.constant(stop))
    got, want, cf = _both(f, *args)
    _same(got, want)
    ssg = [n for n, _ in cf.fallbacks if n.op.name == "strided_slice_grad"]
    assert not ssg and any(n.op.name == "strided_slice_grad" for n in cf.graph.walk())


def test_sort_of_a_matrix_and_its_gradient_use_native_batched_gathers():
    x = tf.constant(np.random.default_rng(2).standard_normal((3, 5)))

    def f(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.sort(t, axis=0, direction="DESCENDING")
            loss = tf.reduce_sum(y * tf.range(5, dtype=tf.float64))
        return [y, tape.gradient(loss, t)]
    got, want, cf = _both(f, x)
    _same(got, want)
    _native(cf, {"argsort", "gather", "gather_grad"})


def test_batched_gather_nd_and_its_gradient_match_eager_natively():
    p = _x((2, 3, 4), np.float64)
    i = tf.constant([[[2], [0]], [[1], [1]]])

    def f(t, idx):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.gather_nd(t, idx, batch_dims=1)
            loss = tf.reduce_sum(y * y)
        return [y, tape.gradient(loss, t)]
    got, want, cf = _both(f, p, i)
    _same(got, want)
    _native(cf, {"gather_nd", "gather_nd_grad"})


def test_batched_gather_out_of_range_raises_eager_error():
    def f(t, idx):
        return tf.gather(t, idx, axis=1, batch_dims=1)
    p, i = _x((2, 3)), tf.constant([[0, 1], [2, 3]])
    with pytest.raises(tf.errors.InvalidArgumentError) as eager:
        tf.function(f, backend="eager")(p, i)
    with pytest.raises(tf.errors.InvalidArgumentError) as cpu:
        tf.function(f, backend="cpu")(p, i)
    assert str(eager.value).split(" [Op:")[0] in str(cpu.value)


def test_run_time_index_into_an_empty_dimension_is_native_and_raises_as_eager():
    import warnings

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def total(x):
        s = 0.0
        for v in x:   # AutoGraph: x[i] with a run-time i, compiled for x of length 0 too
            s += v
        return s

    g = tf.function(lambda x, i: x[i])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no interpreter fallback for the empty case
        assert float(total(tf.zeros([0]))) == 0.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
            g(tf.zeros([0, 2]), tf.constant(0))
