"""TensorArrays that grow at run time on the GPU (codegen/gpu/k_grow.py): loops that append to
a dynamic_size TensorArray run with backend="gpu", strict=True (every op a kernel or a host
step that grows the buffer; no interpreter) and equal eager bit for bit on the grid emulator:
the CPU backend's growable-loop corpus (tests/codegen/test_growable_loops.py: data-dependent trip
counts, several arrays, reads in the loop, nested loops, writes under cond, gaps filled with
zeros, conds that grow or replace an array, an array without an element shape, code after the
loop compiled for the size reached), the while-loop gradient's history arrays, eager's errors,
the buffer reused by the next call, `explain()` naming the reallocations and their bytes, and
ptxas accepting the kernels for sm_75/80/90."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.errors import InvalidArgumentError
from tests.codegen import test_growable_loops as corpus

from .conftest import assemble_all


def _eager(fn, *args):
    return tf.function(fn, backend="eager")(*args)


def _as_list(r):
    return [np.asarray(x) for x in (r if isinstance(r, (list, tuple)) else [r])]


_GPU = {}   # one tf.function per corpus function: cases with other values reuse its plans


def _gpu(fn):
    if fn not in _GPU:
        _GPU[fn] = tf.function(fn, backend="gpu", strict=True)
    return _GPU[fn]


def _check(fn, *args):
    """backend='gpu' (strict) == backend='eager', bit for bit, shapes and dtypes included;
    ptxas accepts every module; returns the GPU ConcreteFunction."""
    args = [tf.constant(a) for a in args]
    gpu = _gpu(fn)
    got, want = _as_list(gpu(*args)), _as_list(_eager(fn, *args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        np.testing.assert_array_equal(g, w)
    cf = gpu.get_concrete_function(*args)
    for plan in _plans(cf._gpu):
        assemble_all(plan)
    return cf


def _plans(fn):
    """Every compiled Plan of a GpuFunction (a split's parts too)."""
    out = []
    for p in fn.plans:
        if hasattr(p, "prefix"):
            out += _plans(p.prefix) + _plans(p.suffix)
        elif hasattr(p, "grow_arrays"):
            out.append(p)
    return out


def _grown(cf):
    """The GrowArrays of the function's plans (the loops really grew on the device)."""
    return [g for p in _plans(cf._gpu) for g in p.grow_arrays]


@pytest.mark.parametrize("n", [0, 1, 5, 40])
def test_append_loop_of_scalars_grows_on_the_device_and_matches_eager(device, n):
    cf = _check(corpus._append_squares, n)
    assert _grown(cf)
    text = cf.explain()
    assert "grown TensorArray float32[?]" in text and "reallocations" in text
    assert "B copied device-to-device" in text and "runs on the host" not in text


def test_growing_past_capacity_doubles_copies_and_explain_counts_the_bytes(device):
    f = tf.function(corpus._append_squares, backend="gpu", strict=True)   # a fresh buffer
    np.testing.assert_array_equal(f(tf.constant(40)), _eager(corpus._append_squares,
                                                             tf.constant(40)))
    cf = f.get_concrete_function(tf.constant(40))
    st = _grown(cf)[0].stats                   # 16 -> 32 -> 64 rows of 4 B
    assert st.last[:3] == (3, (16 + 32 + 64) * 4, (16 + 32) * 4)
    assert st.last[3] == 40                    # one index read-back a write
    assert "3 reallocations, 448 B allocated, 192 B copied device-to-device" in cf.explain()
    np.testing.assert_array_equal(f(tf.constant(30)), _eager(corpus._append_squares,
                                                             tf.constant(30)))
    assert st.last[:3] == (0, 0, 0)            # the next call reuses the allocation
    assert "last call: 0 reallocations" in cf.explain()


@pytest.mark.parametrize("n", [0, 3, 17])
def test_append_loop_of_int_matrices(device, n):
    _check(corpus._append_int_rows, n)


@pytest.mark.parametrize("x", [[10.0, 20.0], [0.25, 0.25], [3e5, 1.0]])
def test_while_with_data_dependent_trip_count(device, x):
    _check(corpus._halve_until_small, np.float32(x))


@pytest.mark.parametrize("fn,args", [
    (corpus._unknown_element_shape, (0,)), (corpus._unknown_element_shape, (4,)),
    (corpus._several_arrays, (0,)), (corpus._several_arrays, (9,)),
    (corpus._fibonacci, (0,)), (corpus._fibonacci, (2,)), (corpus._fibonacci, (30,)),
    (corpus._nested, (3, 0)), (corpus._nested, (4, 5)),
    (corpus._evens, (1,)), (corpus._evens, (11,)),
    (corpus._gaps, (0,)), (corpus._gaps, (7,)),
    (corpus._loop_in_cond_returns_array, (1,)), (corpus._loop_in_cond_returns_array, (5,)),
    (corpus._replace_in_one_branch, (3, True)), (corpus._replace_in_one_branch, (3, False)),
    (corpus._replace_in_one_branch, (0, True)),
    (corpus._fresh_array_per_iteration, (0,)), (corpus._fresh_array_per_iteration, (7,)),
])
def test_growable_loop_corpus_matches_eager_on_the_gpu(device, fn, args):
    _check(fn, *args)


@pytest.mark.parametrize("n", [1, 8])
def test_code_after_the_loop_is_compiled_for_the_size_reached(device, n):
    cf = _check(corpus._then_sum, n)
    assert "compiled for the size the TensorArray reached" in cf.explain()


@pytest.mark.parametrize("fn,bad,text", [
    (corpus._read_past_end, 1, "TensorArray.read: index 4 is out of range for a TensorArray "
                               "of size 4"),
    (corpus._negative_write, -2, "TensorArray.write: index -2 is negative"),
    (corpus._fixed_size_overflow, 5, "tried to write to index 3 but the array is not "
                                     "resizeable and its size is 3"),
])
def test_errors_match_eager_and_the_function_still_works_after(device, fn, bad, text):
    gpu = tf.function(fn, backend="gpu")
    n = tf.constant(5 if fn is corpus._fixed_size_overflow else 4)
    for f in (gpu, tf.function(fn, backend="eager"), gpu):
        with pytest.raises(InvalidArgumentError, match=text):
            f(n, tf.constant(bad))
    ok = (tf.constant(3), tf.constant(0))
    np.testing.assert_array_equal(np.asarray(gpu(*ok)), np.asarray(_eager(fn, *ok)))


def _grad(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = corpus._loss(x, n)
    return loss, tape.gradient(loss, x)


@pytest.mark.parametrize("n", [0, 1, 6])
def test_while_gradient_history_arrays_grow_on_the_device(device, n):
    grad = _grad
    x = tf.constant([0.5, -0.3, 2.0])
    gpu = _gpu(grad)
    got = gpu(x, tf.constant(n))
    want = _eager(grad, x, tf.constant(n))
    for g, w in zip(got, want):   # (elementwise math is the CPU's: bit-equal to eager here)
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-7)
    cf = gpu.get_concrete_function(x, tf.constant(n))
    assert _grown(cf)
    for plan in _plans(cf._gpu):
        assemble_all(plan)


def _bump_then_read(v, n, extra):
    v.assign_add(tf.ones([2]))
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32) + v[0])
    return ta.read(n - 1 + extra)


def test_a_failed_call_writes_no_variable_back_and_the_next_call_starts_from_it(device):
    """As the CPU backend: the failing call's variable write is dropped (its device mirror too,
    so the next call does not start from it)."""
    results = {}
    for backend in ("cpu", "gpu"):
        v = tf.Variable([1.0, 2.0])
        f = tf.function(lambda n, extra: _bump_then_read(v, n, extra), backend=backend)
        np.testing.assert_array_equal(f(tf.constant(3), tf.constant(0)), 4.0)
        with pytest.raises(InvalidArgumentError, match="index 3 is out of range"):
            f(tf.constant(3), tf.constant(1))
        results[backend] = (v.numpy().tolist(), float(f(tf.constant(3), tf.constant(0))))
    assert results["gpu"] == results["cpu"] == ([2.0, 3.0], 5.0)


@pytest.mark.gpu
def test_grown_arrays_on_the_device_match_eager(monkeypatch):
    """On the device named by AUTOGRAPH_JIT_GPU (the emulator here; a GPU in
    benchmarks/gpu_check.py): appends past several reallocations, gaps, reads in the loop."""
    import os
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU", os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator")
    for fn, args in [(corpus._append_squares, (100,)), (corpus._gaps, (9,)),
                     (corpus._fibonacci, (40,))]:
        args = [tf.constant(a) for a in args]
        got = _as_list(tf.function(fn, backend="gpu", strict=True)(*args))
        for g, w in zip(got, _as_list(_eager(fn, *args))):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)
