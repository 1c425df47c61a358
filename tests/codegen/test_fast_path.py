"""The warm-call fast path (tracing/warm_call.py) keeps every semantic of the ordinary call path:
same results, fresh read-only outputs, errors, non-contiguous inputs, tapes, retracing on
changed guards, run_functions_eagerly, variables read at call time, nested tracing, threads;
and the start-up shortcuts (SciPy's BLAS loaded alone, resident code through the disk cache)."""
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograph_jit as tf
from autograph_jit.errors import InvalidArgumentError
from autograph_jit.tensor import EagerTensor
from autograph_jit.tracing.warm_call import fast_key

SCALE = 3.0


def cpu(fn, **kw):
    return tf.function(fn, backend="cpu", autograph=False, **kw)


def warm(f, *args):
    """Call twice: the first call traces and compiles, the second goes through the fast path."""
    f(*args)
    return f(*args)


def test_warm_calls_use_the_native_warm_call_and_match_eager():
    f = cpu(lambda x: tf.tanh(x * 2.0) + 1.0)
    x = tf.constant([0.5, -1.0, 2.0])
    warm(f, x)
    (guards, call), = f._fast_cache.values()
    assert type(call).__name__ == "builtin_function_or_method" and f._native is call
    np.testing.assert_allclose(f(x).numpy(), np.tanh(x.numpy() * 2.0) + 1.0, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-5, 5, width=32), min_size=1, max_size=6),
       st.sampled_from([np.float32, np.float64, np.int32]))
def test_fast_path_agrees_with_the_eager_function(values, np_dtype):
    f = cpu(lambda a, b: (a * b - a, {"sum": tf.reduce_sum(b)}, "tag"))
    a = tf.constant(np.array(values).astype(np_dtype))
    b = tf.constant(np.array(values[::-1]).astype(np_dtype))
    slow = f(a, b)   # traces, compiles, runs through the ordinary path
    got = f(a, b)    # the fast path: the same native code, so the very same bits
    assert got[2] == "tag"
    np.testing.assert_array_equal(got[0].numpy(), slow[0].numpy())
    np.testing.assert_array_equal(got[1]["sum"].numpy(), slow[1]["sum"].numpy())
    np.testing.assert_allclose(got[0].numpy(), (a * b - a).numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1]["sum"].numpy(), tf.reduce_sum(b).numpy(), rtol=1e-5,
                               atol=1e-5)
    assert got[0].dtype is a.dtype


def test_outputs_are_fresh_and_read_only():
    f = cpu(lambda x: x + 1.0)
    first = warm(f, tf.constant(1.0))
    second = f(tf.constant(5.0))
    assert float(first) == 2.0 and float(second) == 6.0
    assert not np.shares_memory(first._value, second._value)
    assert not first._value.flags.writeable


def test_non_contiguous_input_is_copied_not_misread():
    f = cpu(lambda x: x * 10.0)
    base = np.arange(8, dtype=np.float32)
    contiguous = tf.constant(base[:4].copy())
    strided = EagerTensor(base[::2])  # same dtype and shape, every other element
    warm(f, contiguous)
    np.testing.assert_array_equal(f(strided).numpy(), base[::2] * 10.0)


def test_native_error_raises_on_every_warm_call_and_the_next_call_succeeds():
    f = cpu(lambda x, i: tf.gather(x, i))
    x = tf.constant([1.0, 2.0])
    warm(f, x, tf.constant([1]))
    for _ in range(2):
        with pytest.raises(InvalidArgumentError, match="is not in"):
            f(x, tf.constant([7]))
    assert float(f(x, tf.constant([0]))[0]) == 1.0


def test_call_under_a_gradient_tape_still_records():
    f = cpu(lambda x: x * x)
    x = tf.constant(3.0)
    warm(f, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert float(tape.gradient(y, x)) == 6.0


def test_changed_global_retraces_after_the_fast_path_warmed_up():
    global SCALE
    f = cpu(lambda x: x * SCALE)
    x = tf.constant(2.0)
    assert float(warm(f, x)) == 6.0
    try:
        SCALE = 5.0
        assert float(f(x)) == 10.0
        assert float(f(x)) == 10.0
        SCALE = 3.0
        assert float(f(x)) == 6.0
    finally:
        SCALE = 3.0
    assert f.experimental_get_tracing_count() == 2


def test_run_functions_eagerly_bypasses_the_fast_path():
    calls = []

    def body(x):
        calls.append(1)
        return x + 1.0
    f = cpu(body)
    x = tf.constant(1.0)
    warm(f, x)
    traced = len(calls)
    tf.config.run_functions_eagerly(True)
    try:
        assert float(f(x)) == 2.0
    finally:
        tf.config.run_functions_eagerly(False)
    assert len(calls) == traced + 1


def test_variables_are_read_at_call_time():
    v = tf.Variable(1.0)
    f = cpu(lambda x: x + v)
    x = tf.constant(1.0)
    assert float(warm(f, x)) == 2.0
    v.assign(10.0)
    assert float(f(x)) == 11.0


def test_call_inside_another_function_is_traced_into_it():
    inner = cpu(lambda x: x * 2.0)
    x = tf.constant(1.5)
    warm(inner, x)
    outer = cpu(lambda x: inner(x) + 1.0)
    assert float(outer(x)) == 4.0
    assert any(n.op.name != "constant" for n in outer.get_concrete_function(x).graph.nodes)


def test_concurrent_calls_from_threads_give_each_its_own_result():
    f = cpu(lambda x: x * 2.0 + 1.0)
    warm(f, tf.constant(np.zeros(64, np.float32)))
    errors = []

    def work(k):
        x = tf.constant(np.full(64, k, np.float32))
        for _ in range(200):
            if not np.array_equal(f(x).numpy(), np.full(64, 2 * k + 1, np.float32)):
                errors.append(k)
                return
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_concrete_function_direct_call_fast_path_keeps_its_checks():
    f = cpu(lambda x: x - 1.0)
    x = tf.constant([1.0, 2.0])
    cf = f.get_concrete_function(x)
    cf(x)
    np.testing.assert_array_equal(cf(tf.constant([5.0, 6.0])).numpy(), [4.0, 5.0])
    with pytest.raises(TypeError, match="does not match"):
        cf(tf.constant([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="does not match"):
        cf(tf.constant([1, 2]))


def test_fast_key_is_none_unless_every_argument_is_an_eager_tensor():
    x = tf.constant(1.0)
    assert fast_key((x, 2.0)) is None
    assert fast_key((np.float32(1),)) is None
    assert fast_key((x,)) != fast_key((tf.constant(1),))
    assert fast_key((x, x)) == fast_key((tf.constant(2.0), tf.constant(3.0)))


def test_tf_print_runs_on_every_warm_call_in_order(capsys):
    def body(x):
        tf.print("value", x, output_stream="stdout")
        return x + 1.0
    f = cpu(body)
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    f(tf.constant(3.0))
    assert capsys.readouterr().out.split("\n")[:3] == ["value 1", "value 2", "value 3"]


def test_blas_from_scipy_without_importing_scipy_linalg():
    # SciPy's Fortran routines come from its wheel's OpenBLAS by ctypes (what cython_blas
    # calls): SciPy's Python package is not imported at all
    code = ("import sys, ctypes; from autograph_jit.runtime import blas; a = blas.addresses(); "
            "assert not [m for m in sys.modules if m.startswith('scipy')], 'scipy imported'; "
            "lib = ctypes.CDLL(blas._scipy_openblas_paths()[0]); "
            "assert a == {r: ctypes.cast(getattr(lib, 'scipy_' + r + '_'), ctypes.c_void_p).value"
            " for r in blas.SYMBOLS}, a; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_blas_from_cython_blas_capsules_when_scipys_library_is_not_found():
    code = ("import sys; from autograph_jit.runtime import blas; "
            "blas._scipy_library_routines = lambda: {}; a = blas.addresses(); "
            "assert 'scipy.linalg._basic' not in sys.modules, 'scipy.linalg imported'; "
            "import scipy.linalg; from scipy.linalg import cython_blas; "
            "assert cython_blas is sys.modules['scipy.linalg.cython_blas']; "
            "assert a == {r: blas._capsule_pointer(cython_blas.__pyx_capi__[r]) "
            "for r in blas.SYMBOLS}; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_native_entry_is_a_builtin_that_reports_errors_like_ctypes():
    f = cpu(lambda a, b: a // b)
    a = tf.constant([4, 2])
    warm(f, a, tf.constant([2, 1]))
    exe = f.get_concrete_function(a, a).native_executables[0]
    assert type(exe._entry).__name__ == "builtin_function_or_method"
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        f(a, tf.constant([2, 0]))
    np.testing.assert_array_equal(f(a, tf.constant([1, 2])).numpy(), [4, 1])


def test_resident_blas_wrappers_are_exported_symbols():
    from autograph_jit.runtime import blas
    table = blas.install()
    assert {"ag_matmul_f32", "ag_matmul_f64", "ag_matvec_f32", "ag_matvec_f64"} <= set(table)
    assert all(table.values())
    f = cpu(lambda a, b: a @ b)
    a = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 4096
    got = f(tf.constant(a), tf.constant(a)).numpy()
    np.testing.assert_allclose(got, a @ a, rtol=1e-5)
