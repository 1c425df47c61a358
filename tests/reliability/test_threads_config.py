"""Threads: compiled parallel loops use the thread count set by tf.config.threading's intra-op
setting, else $AUTOGRAPH_JIT_NUM_THREADS, else $OMP_NUM_THREADS (Spark/Dask/Ray workers set it to
1), else the CPUs; NumPy's OpenBLAS follows the intra-op setting too when NumPy ships it."""
import os
import subprocess
import sys
import textwrap

import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm import parallel
from autograph_jit.runtime import blas

from ..codegen._jit import Jit
from ..codegen.test_parallel import PROTO, _COUNT_BODY, chunk_ir, expected_chunk_starts, run_count


@pytest.fixture
def restore_threads():
    yield
    tf.config.threading.set_intra_op_parallelism_threads(0)
    tf.config.threading.set_inter_op_parallelism_threads(0)


def _installed_counter():
    parallel.install()
    jit = Jit(parallel.DECLARATION + "\n" + chunk_ir("count_cfg", _COUNT_BODY))
    fns = {"run_count": PROTO(jit.address("run_count_cfg"))}
    fns["_keep"] = jit
    return fns


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_intra_op_setting_decides_how_the_installed_loop_splits(restore_threads, threads):
    fns = _installed_counter()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    assert tf.config.threading.get_intra_op_parallelism_threads() == threads
    assert tf.config.threading.intra_op_threads_in_use() == threads
    counts, owners = run_count(fns, 100_000, 1000)
    assert (counts == 1).all()
    assert sorted(set(owners.tolist())) == expected_chunk_starts(100_000, 1000, threads)


def test_intra_op_zero_goes_back_to_the_default(restore_threads, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_NUM_THREADS", "3")
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(0)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 0
    assert tf.config.threading.intra_op_threads_in_use() == 3


def test_omp_num_threads_is_the_default_below_our_own_variable(monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_JIT_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert parallel.default_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "4,2")  # nested levels: the outer one
    assert parallel.default_threads() == 4
    monkeypatch.setenv("AUTOGRAPH_JIT_NUM_THREADS", "2")
    assert parallel.default_threads() == 2
    monkeypatch.delenv("AUTOGRAPH_JIT_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS must be a positive integer"):
        parallel.default_threads()


def test_inter_op_setting_is_kept(restore_threads):
    assert tf.config.threading.get_inter_op_parallelism_threads() == 0
    tf.config.threading.set_inter_op_parallelism_threads(2)
    assert tf.config.threading.get_inter_op_parallelism_threads() == 2


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_thread_settings_reject_what_is_not_a_count(bad):
    with pytest.raises(ValueError, match="set_intra_op_parallelism_threads: num_threads"):
        tf.config.threading.set_intra_op_parallelism_threads(bad)
    with pytest.raises(ValueError, match="set_inter_op_parallelism_threads: num_threads"):
        tf.config.threading.set_inter_op_parallelism_threads(bad)


def test_intra_op_setting_reaches_numpys_openblas(restore_threads):
    if blas.numpy_threads() is None:
        pytest.skip("this NumPy's BLAS has no thread control we know")
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert blas.numpy_threads() == 1
    tf.config.threading.set_intra_op_parallelism_threads(0)
    assert blas.numpy_threads() == blas._numpy_threads["default"]


_THREADS_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import autograph_jit as tf
    from autograph_jit.codegen import wait_prewarm

    def threads():   # native threads Python did not start (its compile threads are not counted)
        import threading
        return len(os.listdir("/proc/self/task")) - threading.active_count()

    @tf.function
    def f(x):
        return tf.exp(x) * 2.0 + 1.0

    x = tf.constant(np.ones(1 << 22, np.float32))
    small = tf.function(lambda a: a + 1.0)
    small(tf.constant([1.0]))
    wait_prewarm()
    import time   # (a joined thread leaves /proc/self/task a moment later)
    from autograph_jit.codegen import _prewarm
    for _ in range(500):
        if not any(os.path.exists(f"/proc/self/task/{t.native_id}") for t in _prewarm):
            break
        time.sleep(0.01)
    before = threads()
    f(x)
    after_default = threads()
    if len(sys.argv) > 1:  # (parallel's own setter: NumPy's OpenBLAS would add threads too)
        from autograph_jit.codegen.llvm import parallel
        parallel.set_num_threads(int(sys.argv[1]))
        f(x)
    print(after_default - before, threads() - before)
""")


def _extra_threads(tmp_path, env, *args):
    path = tmp_path / "threads.py"
    path.write_text(_THREADS_SCRIPT)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "AUTOGRAPH_JIT_NUM_THREADS")} | env
    env["AUTOGRAPH_JIT_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, str(path), *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return [int(v) for v in out.stdout.split()]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or parallel.futex_syscall() is None,
                    reason="counts threads through /proc; the pool needs a futex")
def test_omp_num_threads_one_starts_no_worker_thread(tmp_path):
    assert _extra_threads(tmp_path, {"OMP_NUM_THREADS": "1"}) == [0, 0]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or parallel.futex_syscall() is None,
                    reason="counts threads through /proc; the pool needs a futex")
def test_pool_grows_when_the_intra_op_setting_asks_for_more(tmp_path):
    # OMP_NUM_THREADS=2: one worker; then 4 threads wanted: two more workers join it
    assert _extra_threads(tmp_path, {"OMP_NUM_THREADS": "2"}, 4) == [1, 3]
