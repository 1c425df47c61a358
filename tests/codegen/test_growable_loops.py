"""Loops that grow a TensorArray run as native code (specialize.py growable specs, k_grow.py,
dynamic_exe.py): backend="cpu" is bit-identical to backend="eager" and to
run_functions_eagerly for zero, one and many iterations (10,000: the buffer grows many times),
scalar and 2-D elements, int, float and bool, several arrays in one loop, reads inside the loop,
nested loops, writes under tf.cond, gaps, a loop inside tf.cond, conds that grow or replace an
array in one branch only, variables updated in the loop, the while-loop gradient's history
arrays, and raises eager's error for a read past the end or a bad write (the native buffers are
freed on that path). A non-linear use of an array version stays on the interpreter, correct.
strict=True accepts them: the compiled segment ends at the data-dependent shape, which is not an
interpreter fallback."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph_jit as tf
from autograph_jit.errors import InvalidArgumentError
from autograph_jit.ops.tensor_array import read as ta_read, write as ta_write


def _run_eagerly(fn, *args):
    tf.config.run_functions_eagerly(True)
    try:
        return tf.function(fn)(*args)
    finally:
        tf.config.run_functions_eagerly(False)


def _as_list(r):
    return [np.asarray(x) for x in (r if isinstance(r, (list, tuple)) else [r])]


def _check(fn, *args, strict=True, eagerly=True):
    """cpu (strict: no interpreter fallback) == eager backend (== run_functions_eagerly), bit
    for bit, shapes and dtypes included; returns the cpu ConcreteFunction."""
    cpu = tf.function(fn, backend="cpu", strict=strict)
    got = _as_list(cpu(*args))
    wants = [_as_list(tf.function(fn, backend="eager")(*args))]
    if eagerly:
        try:
            wants.append(_as_list(_run_eagerly(fn, *args)))
        except InvalidArgumentError as e:  # an appended-to list left empty: TF raises too
            assert "stack needs at least one tensor" in str(e)
    for want in wants:
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape)
            np.testing.assert_array_equal(g, w)
    return cpu.get_concrete_function(*args)


def _native(cf):
    report = list(cf.backend_report)
    assert not [ln for ln in report if ln.startswith("fallback:")], report
    assert all(not exe.host_nodes for exe in cf.native_executables)
    return report


def _append_squares(n):
    out = []
    for i in tf.range(n):
        out.append(tf.cast(i, tf.float32) ** 2)
    return tf.stack(out)


def _append_int_rows(n):
    out = []
    for i in tf.range(n):
        out.append(tf.ones([2, 3], tf.int32) * i + tf.range(3))
    return tf.stack(out)


def _halve_until_small(x):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    i = 0
    while tf.reduce_sum(x) > 1.0:
        x = x / 2
        ta = ta.write(i, tf.reduce_sum(x))
        i += 1
    return ta.stack()


def _unknown_element_shape(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.ones([2, 3]) * tf.cast(i, tf.float32))
    return ta.stack()


@pytest.mark.parametrize("n", [0, 1, 5, 10000])
def test_append_loop_of_scalars_is_native_and_bit_identical(n):
    cf = _check(_append_squares, tf.constant(n), eagerly=n < 100)
    report = _native(cf)
    assert any(ln.startswith("native:") and "data-dependent shape" in ln for ln in report)


@pytest.mark.parametrize("n", [0, 1, 3, 40])
def test_append_loop_of_int_matrices_is_native_and_bit_identical(n):
    _native(_check(_append_int_rows, tf.constant(n)))


@pytest.mark.parametrize("x", [[10.0, 20.0], [0.25, 0.25], [3e5, 1.0]])
def test_while_with_data_dependent_trip_count_grows_natively(x):
    _native(_check(_halve_until_small, tf.constant(x)))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_array_without_element_shape_keeps_eager_placeholder_shape(n):
    cf = _check(_unknown_element_shape, tf.constant(n))
    _native(cf)
    out = cf(tf.constant(n))
    assert out.shape == ((0,) if n == 0 else (n, 2, 3))


def _several_arrays(n):
    a = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    b = tf.TensorArray(tf.int64, size=2, dynamic_size=True, element_shape=[3])
    c = []
    for i in tf.range(n):
        a = a.write(i, tf.cast(i, tf.float32) / 3.0)
        b = b.write(i + 2, tf.cast(tf.range(3) * i, tf.int64))
        c.append(tf.cast(i, tf.float64) * 0.1)
    return a.stack(), b.stack(), tf.stack(c)


@pytest.mark.parametrize("n", [0, 1, 9])
def test_several_arrays_in_one_loop(n):
    _native(_check(_several_arrays, tf.constant(n)))


def _fibonacci(n):
    ta = tf.TensorArray(tf.int64, size=2, dynamic_size=True)
    ta = ta.write(0, tf.constant(0, tf.int64))
    ta = ta.write(1, tf.constant(1, tf.int64))
    for i in tf.range(2, n):
        ta = ta.write(i, ta.read(i - 1) + ta.read(i - 2))
    return ta.stack(), ta.size()


@pytest.mark.parametrize("n", [0, 2, 3, 60])
def test_reads_inside_the_loop_see_earlier_writes(n):
    _native(_check(_fibonacci, tf.constant(n)))


def _nested(n, m):
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    k = 0
    for i in tf.range(n):
        for j in tf.range(m):
            ta = ta.write(k, i * 10 + j)
            k += 1
    return ta.stack()


@pytest.mark.parametrize("n,m", [(0, 3), (3, 0), (1, 1), (4, 5)])
def test_nested_loops_append_to_one_array(n, m):
    _native(_check(_nested, tf.constant(n), tf.constant(m)))


def _evens(n):
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    k = 0
    for i in tf.range(n):
        if i % 2 == 0:
            ta = ta.write(k, i * i)
            k += 1
    return ta.stack()


@pytest.mark.parametrize("n", [1, 2, 11])
def test_append_under_cond_inside_the_loop(n):
    _native(_check(_evens, tf.constant(n)))


def _gaps(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[2])
    for i in tf.range(n):
        ta = ta.write(3 * i + 1, tf.fill([2], tf.cast(i, tf.float32) + 0.5))
    return ta.stack()


@pytest.mark.parametrize("n", [0, 1, 7, 2000])
def test_writes_past_the_end_fill_the_gap_with_zeros(n):
    _native(_check(_gaps, tf.constant(n), eagerly=n < 100))


def _loop_in_cond(n):
    if n > 2:
        out = []
        for i in tf.range(n):
            out.append(tf.cast(i, tf.float32))
        r = tf.reduce_sum(tf.stack(out))
    else:
        r = tf.constant(-1.0)
    return r


@pytest.mark.parametrize("n", [1, 6])
def test_loop_inside_cond_reducing_its_array_is_correct(n):
    _check(_loop_in_cond, tf.constant(n), strict=False)


def _loop_in_cond_returns_array(n):
    if n > 2:
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, tf.cast(i, tf.float32))
    else:
        ta = tf.TensorArray(tf.float32, size=2, dynamic_size=True)
        ta = ta.write(0, -1.0)
    return ta.stack()


def _replace_in_one_branch(n, c):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32))
    if c:
        ta = ta.write(n, 100.0)
    else:
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        ta = ta.write(0, tf.cast(n, tf.float32))
    return ta.stack()


def _fresh_array_per_iteration(n):
    acc = tf.constant(0.0)
    for i in tf.range(n):
        if i % 2 == 0:
            t = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
            t = t.write(i + 100, tf.cast(i, tf.float32))
        else:
            t = tf.TensorArray(tf.float32, size=3, dynamic_size=True)
        acc += t.read(tf.minimum(i, 2)) + tf.cast(t.size(), tf.float32)
    return acc


@pytest.mark.parametrize("fn,args", [
    (_loop_in_cond_returns_array, (1,)), (_loop_in_cond_returns_array, (5,)),
    (_replace_in_one_branch, (3, True)), (_replace_in_one_branch, (3, False)),
    (_replace_in_one_branch, (0, True)),
    (_fresh_array_per_iteration, (0,)), (_fresh_array_per_iteration, (7,)),
])
def test_conds_that_grow_or_replace_an_array_in_one_branch_are_native(fn, args):
    _native(_check(fn, *[tf.constant(a) for a in args]))


def _then_sum(n):
    out = []
    for i in tf.range(n):
        out.append(tf.cast(i, tf.float32) * 0.5)
    s = tf.stack(out)
    return tf.reduce_sum(s * s), s[-1:] + 1.0


@pytest.mark.parametrize("n", [1, 8, 3000])
def test_code_after_the_loop_is_compiled_for_the_size_reached(n):
    cf = _check(_then_sum, tf.constant(n), eagerly=n < 100)
    report = _native(cf)
    assert any("compiled for the size the TensorArray reached" in ln for ln in report), report
    assert len(cf.native_executables) >= 2


def _read_past_end(n, extra):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32))
    acc = tf.constant(0.0)
    for i in tf.range(n + extra):
        acc += ta.read(i)
    return acc


def _negative_write(n, start):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i + start, tf.cast(i, tf.float32))
    return ta.stack()


def _fixed_size_overflow(n, size):
    ta = tf.TensorArray(tf.float32, size=3)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32))
    return ta.stack()


@pytest.mark.parametrize("fn,bad,text", [
    (_read_past_end, 1, "TensorArray.read: index 4 is out of range for a TensorArray of size 4"),
    (_negative_write, -2, "TensorArray.write: index -2 is negative"),
    (_fixed_size_overflow, 5, "tried to write to index 3 but the array is not resizeable and "
                              "its size is 3"),
])
def test_errors_match_eager_and_the_function_still_works_after(fn, bad, text):
    n = tf.constant(5 if fn is _fixed_size_overflow else 4)
    cpu, eager = tf.function(fn, backend="cpu"), tf.function(fn, backend="eager")
    messages = []
    for f in (cpu, eager, cpu, cpu):  # a failed native call frees its arrays; again works
        with pytest.raises(InvalidArgumentError) as e:
            f(n, tf.constant(bad))
        messages.append(str(e.value))
    assert all(text in m for m in messages), messages
    ok = (tf.constant(3), tf.constant(0))
    np.testing.assert_array_equal(np.asarray(cpu(*ok)), np.asarray(eager(*ok)))


def test_strict_function_with_growing_loop_does_not_raise_and_explains_the_segment():
    f = tf.function(_then_sum, strict=True)
    f(tf.constant(5))
    text = str(f.get_concrete_function(tf.constant(5)).explain())
    assert "data-dependent shape" in text and "interpreter fallback" in text
    assert "runs on the interpreter" not in text


def _loss(x, n):
    _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, tf.tanh(y * 0.7) + x), [0, x])
    return tf.reduce_sum(y * y)


@tf.function(strict=True)
def _grad_traced(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loss(x, n)
    return loss, tape.gradient(loss, x)


@pytest.mark.parametrize("n", [0, 1, 6])
def test_while_gradient_history_arrays_run_natively(n):
    x = tf.constant([0.5, -0.3, 2.0])
    loss, grad = _grad_traced(x, tf.constant(n))
    with tf.GradientTape() as tape:
        tape.watch(x)
        want_loss = _loss(x, tf.constant(n))
    want = tape.gradient(want_loss, x)
    np.testing.assert_allclose(np.asarray(loss), np.asarray(want_loss), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(want), rtol=1e-5, atol=1e-6)
    _native(_grad_traced.get_concrete_function(x, tf.constant(n)))


def _rows(n, k):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[3, 2])
    for i in tf.range(n):
        ta = ta.write(i * k, tf.reshape(tf.range(6, dtype=tf.float32), [3, 2]) * tf.cast(
            i, tf.float32))
        ta = ta.write(i * k, ta.read(i * k) + 1.0)
    return ta.stack()


_ROWS = tf.function(_rows, backend="cpu", strict=True)
_ROWS_EAGER = tf.function(_rows, backend="eager")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 40), st.integers(1, 3))
def test_rewrites_of_2d_elements_match_eager_for_any_count_and_stride(n, k):
    got = np.asarray(_ROWS(tf.constant(n), tf.constant(k)))
    want = np.asarray(_ROWS_EAGER(tf.constant(n), tf.constant(k)))
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _with_variable(n):
    ta = tf.TensorArray(tf.bool, size=0, dynamic_size=True)
    for i in tf.range(n):
        _COUNTER.assign_add(tf.cast(i, tf.float32))
        ta = ta.write(i, _COUNTER > 4.0)
    return ta.stack(), _COUNTER.read_value()


_COUNTER = tf.Variable(0.0)


@pytest.mark.parametrize("n", [0, 1, 6])
def test_loop_updating_a_variable_grows_a_bool_array_natively(n):
    outs = []
    for backend in ("cpu", "eager"):
        _COUNTER.assign(1.0)
        f = tf.function(_with_variable, backend=backend, strict=True)
        outs.append(_as_list(f(tf.constant(n))))
    for g, w in zip(*outs):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def _old_version_read_after_write(n):
    buf = tf.zeros([1])
    acc = tf.constant(0.0)
    for i in tf.range(n):
        new = ta_write(buf, i + 1, tf.cast(i, tf.float32) + 1.0, dynamic_size=True)
        acc += ta_read(buf, i) + tf.cast(tf.shape(buf)[0], tf.float32)
        buf = new
    return acc, buf


def test_non_linear_use_of_an_array_stays_correct_on_the_interpreter():
    cf = _check(_old_version_read_after_write, tf.constant(5), strict=False)
    assert any("used again after it was written" in ln for ln in cf.backend_report)


def _two_versions(i):
    buf = tf.zeros([2, 2])
    first = ta_write(buf, i, tf.ones([2]), dynamic_size=True)
    second = ta_write(first, i + 1, tf.fill([2], 2.0), dynamic_size=True)
    return first, second, buf


@pytest.mark.parametrize("i", [0, 1, 5])
def test_top_level_writes_at_run_time_indices_keep_every_version(i):
    _native(_check(_two_versions, tf.constant(i), eagerly=False))


def _overwrite_fixed(n, extra):
    buf = tf.zeros([0, 2])
    for i in tf.range(n):
        buf = ta_write(buf, i, tf.fill([2], tf.cast(i, tf.float32)), dynamic_size=True)
    for i in tf.range(n + extra):
        buf = ta_write(buf, i, ta_read(buf, i) * 3.0, dynamic_size=False)
    if n > 3:
        r = ta_read(buf, 2)
    else:
        r = tf.zeros([2])
    return buf, r


@pytest.mark.parametrize("n", [0, 2, 6])
def test_fixed_size_writes_and_branch_reads_of_a_grown_array(n):
    _native(_check(_overwrite_fixed, tf.constant(n), tf.constant(0), eagerly=False))


def _fixed_write_past(n, extra):
    buf = tf.zeros([0])
    for i in tf.range(n):
        buf = ta_write(buf, i, tf.cast(i, tf.float32), dynamic_size=True)
    for i in tf.range(n + extra):
        buf = ta_write(buf, i, tf.cast(i, tf.float32) * 2.0, dynamic_size=False)
    return buf


@pytest.mark.parametrize("fn,text", [
    (_overwrite_fixed, "TensorArray.read: index 3 is out of range for a TensorArray of size 3"),
    (_fixed_write_past, "tried to write to index 3 but the array is not resizeable and its "
                        "size is 3"),
])
def test_reading_or_fixed_size_writing_past_a_grown_array_raises_eagers_error(fn, text):
    msgs, fns = [], [tf.function(fn, backend=b) for b in ("cpu", "eager")]
    for f in fns:
        with pytest.raises(InvalidArgumentError) as e:
            f(tf.constant(3), tf.constant(1))
        msgs.append(str(e.value))
    assert all(text in m for m in msgs), msgs
    _native(fns[0].get_concrete_function(tf.constant(3), tf.constant(1)))


def _write_at_size_without_element_shape(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    sizes = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    for i in tf.range(n):
        sizes = sizes.write(i, tf.size(ta.stack()))
        ta = ta.write(ta.size(), tf.ones([2, 2]) * tf.cast(i, tf.float32))
    return ta.stack(), sizes.stack()


@pytest.mark.parametrize("n", [0, 1, 4])
def test_write_at_size_of_an_array_without_element_shape(n):
    _native(_check(_write_at_size_without_element_shape, tf.constant(n)))


def _unrolled_writes(x):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for k in range(3):  # a Python loop: indices known when compiling, the shape grows statically
        ta = ta.write(2 * k, x * float(k))
    return ta.stack(), ta.read(2)


def test_dynamic_writes_at_known_indices_compile_to_static_shapes():
    cf = _check(_unrolled_writes, tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    _native(cf)
    assert not any(ln.startswith("native:") for ln in cf.backend_report)  # nothing grown


def _until_size(n):
    ta = tf.TensorArray(tf.int64, size=0, dynamic_size=True, element_shape=[2])
    while ta.size() < n:
        s = tf.cast(ta.size(), tf.int64)
        ta = ta.write(ta.size(), tf.stack([s, s * s]))
    return ta.stack()


@pytest.mark.parametrize("n", [0, 1, 33])
def test_loop_condition_reading_the_growing_size(n):
    _native(_check(_until_size, tf.constant(n)))


def _malloc_in_use():
    import ctypes
    import gc

    class _Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc's mallinfo2")
    libc.mallinfo2.restype = _Info
    gc.collect()
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def _big_rows(n, extra):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.fill([64], tf.cast(i, tf.float32)))
    acc = tf.constant(0.0)
    for i in tf.range(n + extra):
        acc += tf.reduce_sum(ta.read(i))
    return acc, ta.stack()


def test_native_buffers_are_freed_on_success_and_on_errors():
    f = tf.function(_big_rows, strict=True)
    n = tf.constant(16384)  # 4 MiB of rows a call (8 MiB of capacity)
    for extra in (0, 1) * 2:  # compile and warm up both paths
        try:
            f(n, tf.constant(extra))
        except InvalidArgumentError:
            pass
    before = _malloc_in_use()
    for _ in range(10):
        f(n, tf.constant(0))
        with pytest.raises(InvalidArgumentError):
            f(n, tf.constant(1))
    assert _malloc_in_use() - before < 16 << 20  # a leak would hold >= 80 MiB
