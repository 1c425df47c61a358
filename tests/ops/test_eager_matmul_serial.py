"""Eager tf.matmul runs thin products that OpenBLAS would thread on one thread
(runtime/serial_gemm.py): the rule, the results for every operand layout, and that the op's
kernel takes that path; and that loading SciPy's OpenBLAS starts no thread pool."""
import os
import subprocess
import sys

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.runtime import serial_gemm

pytestmark = pytest.mark.skipif(not serial_gemm.available(),
                                reason="SciPy's OpenBLAS (scipy.libs) is not installed here")


def _pair(m, k, n, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)


@pytest.mark.parametrize("shape,serial", [
    ((32, 784, 128), True),        # the MLP's first layer at batch 32: thin, threaded by BLAS
    ((128, 784, 32), True),
    ((50, 784, 100), True),
    ((64, 100, 64), False),        # not thin
    ((32, 64, 64), False),         # below OpenBLAS's threading size: NumPy is one thread already
    ((1, 784, 4096), False),       # a vector: NumPy's gemv
    ((32, 8192, 8192), False),     # too large for one thread
])
def test_the_serial_rule(shape, serial):
    m, k, n = shape
    a, b = np.zeros((m, k), "float32"), np.zeros((k, n), "float32")
    assert serial_gemm.use_serial(a, b) is serial
    assert serial_gemm.use_serial(a.astype("float64"), b.astype("float64")) is serial
    assert not serial_gemm.use_serial(a.astype("float16"), b.astype("float16"))
    assert not serial_gemm.use_serial(a.astype("int32"), b.astype("int32"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_operand_layout_gives_the_same_bits(dtype):
    a, b = _pair(40, 300, 90, dtype)
    want = serial_gemm.matmul(a, b)
    np.testing.assert_allclose(want, a @ b, rtol=1e-4 if dtype == "float32" else 1e-12,
                               atol=1e-3 if dtype == "float32" else 1e-12)
    at = np.asfortranarray(a)                  # transposed storage
    bt = np.asfortranarray(b)
    wide = np.zeros((40, 600), dtype)
    wide[:, ::2] = a                           # strided columns: copied
    padded = np.zeros((300, 120), dtype)
    padded[:, :90] = b                         # a row stride larger than the row
    for x, y in ((at, b), (a, bt), (at, bt), (wide[:, ::2], b), (a, padded[:, :90])):
        assert serial_gemm.use_serial(x, y)
        np.testing.assert_array_equal(serial_gemm.matmul(x, y), want)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_eager_tf_matmul_takes_the_serial_path(monkeypatch, ta, tb):
    a, b = _pair(32, 784, 128)
    a_in = np.ascontiguousarray(a.T) if ta else a
    b_in = np.ascontiguousarray(b.T) if tb else b
    calls = []
    real = serial_gemm.matmul
    monkeypatch.setattr(serial_gemm, "matmul", lambda x, y: calls.append(1) or real(x, y))
    got = tf.matmul(a_in, b_in, transpose_a=ta, transpose_b=tb).numpy()
    assert calls == [1]
    np.testing.assert_array_equal(got, real(a, b))
    np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-3)


def test_eager_matmul_gradient_uses_it_too():
    a, b = _pair(32, 784, 128)
    at, bt = tf.constant(a), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch(at)
        y = tf.reduce_sum(tf.matmul(at, bt))
    g = tape.gradient(y, at).numpy()
    np.testing.assert_allclose(g, np.ones((32, 128), "float32") @ b.T, rtol=1e-4, atol=1e-3)


_LOAD_CHILD = r"""
import os, sys
from autograph_jit.runtime import serial_gemm, blas
path = [p for p in serial_gemm.scipy_openblas_paths() if "openblas64" not in os.path.basename(p)][0]
before, mask = len(os.listdir("/proc/self/task")), os.sched_getaffinity(0)
lib = {"serial_gemm": serial_gemm.open_scipy_openblas, "blas": lambda p: blas.addresses()}[sys.argv[1]](path)
lib = serial_gemm.open_scipy_openblas(path)
print(len(os.listdir("/proc/self/task")) - before, lib.scipy_openblas_get_num_threads(),
      os.sched_getaffinity(0) == mask)
lib.scipy_openblas_set_num_threads(2)
print(lib.scipy_openblas_get_num_threads())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or not hasattr(os, "sched_getaffinity")
                    or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux thread affinity and two CPUs")
@pytest.mark.parametrize("loader", ["serial_gemm", "blas"])
def test_loading_scipys_openblas_starts_no_busy_waiting_thread_pool(loader):
    # (a pool thread per core would busy-wait ~0.1 s for a job it never gets: the library is
    # set to one thread at once; on 2 cores it took a core from a first call's compile)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", _LOAD_CHILD, loader], capture_output=True,
                         text=True, cwd=root, env={**os.environ, "PYTHONPATH": root},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.split("\n")[:2]
    assert first.split() == ["0", "1", "True"]   # no thread, one thread, affinity restored
    assert second == "2"                          # a user can still raise it


def test_one_cpu_block_restores_the_threads_affinity_after_an_error():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no thread affinity here")
    mask = os.sched_getaffinity(0)
    with pytest.raises(RuntimeError):
        with serial_gemm.on_one_cpu():
            assert len(os.sched_getaffinity(0)) == 1
            raise RuntimeError("boom")
    assert os.sched_getaffinity(0) == mask
