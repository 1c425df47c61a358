"""parallel: ag_parallel_for splits [0, n) into chunks run on pthreads from compiled code; each
index is processed exactly once for every n / min_chunk / thread count, small n stays serial,
and an elementwise vecmath loop gives the same result split as serial. The worker pool starts
once and is reused (also after its workers went to sleep), stays exact when several Python
threads call at once, and a fork()ed child (which has no pool threads) neither hangs nor errs."""
import ctypes
import os
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograph_jit.codegen.llvm import parallel, vecmath

from ._jit import Jit


def chunk_ir(name, body, pfor="ag_parallel_for"):
    """`void @name(ptr ctx, i64 b, i64 e)` running `body` for i in [b, e), where ctx points to two
    pointers loaded as %p0 and %p1; plus `void @run_<name>(ctx, n, min_chunk)` splitting it with
    the parallel-for function `pfor`."""
    return f"""define void @{name}(ptr %ctx, i64 %b, i64 %e) {{
entry:
  %p0 = load ptr, ptr %ctx
  %p1.p = getelementptr inbounds ptr, ptr %ctx, i64 1
  %p1 = load ptr, ptr %p1.p
  %empty = icmp sge i64 %b, %e
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [ %b, %entry ], [ %i.next, %loop ]
{body}
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %e
  br i1 %done, label %exit, label %loop
exit:
  ret void
}}
define void @run_{name}(ptr %ctx, i64 %n, i64 %min_chunk) {{
  {parallel.call_ir(name, "%ctx", "%n", "%min_chunk", name=pfor)}
  ret void
}}
"""


# counts[i] += 1 atomically (a double visit would show as 2), owners[i] = the chunk's begin
_COUNT_BODY = """  %c = getelementptr inbounds i32, ptr %p0, i64 %i
  %old = atomicrmw add ptr %c, i32 1 seq_cst
  %o = getelementptr inbounds i64, ptr %p1, i64 %i
  store i64 %b, ptr %o"""
# y[i] = exp(x[i]) for float32 x = p0, y = p1
_EXP_BODY = """  %px = getelementptr inbounds float, ptr %p0, i64 %i
  %v = load float, ptr %px
  %r = call float @ag_vm_exp_f32(float %v)
  %py = getelementptr inbounds float, ptr %p1, i64 %i
  store float %r, ptr %py"""
PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
_KEEP = []   # modules with a pasted parallel-for stay alive: a late detached worker may run there


def build(num_threads):
    """A module with its own copy of the parallel-for (`pfor`) for `num_threads` threads."""
    parallel.register_symbols()
    pool_state = ("define i32 @pool_state() {\n  %v = load atomic i32, ptr @pfor.state "
                  "acquire, align 4\n  ret i32 %v\n}\n") if num_threads > 1 else ""
    jit = Jit(parallel.ir_text(num_threads, name="pfor") + vecmath.ir_text("float32", ["exp"])
              + chunk_ir("count", _COUNT_BODY, "pfor") + chunk_ir("exp", _EXP_BODY, "pfor")
              + pool_state)
    fns = {name: PROTO(jit.address(name)) for name in ("run_count", "run_exp", "exp")}
    if pool_state:
        fns["pool_state"] = ctypes.CFUNCTYPE(ctypes.c_int32)(jit.address("pool_state"))
    _KEEP.append(jit)
    return fns


@pytest.fixture(scope="module")
def four_threads():
    return build(4)


def run_count(fns, n, min_chunk):
    counts = np.zeros(max(n, 1), np.int32)
    owners = np.full(max(n, 1), -1, np.int64)
    ctx = np.array([counts.ctypes.data, owners.ctypes.data], np.uint64)
    fns["run_count"](ctx.ctypes.data, n, min_chunk)
    return counts[:n], owners[:n]


def expected_chunk_starts(n, min_chunk, threads):
    _, chunk, _ = parallel.plan(n, min_chunk, threads)
    return list(range(0, n, chunk)) if n > 0 else []


def test_each_index_is_processed_exactly_once_in_claimed_chunks(four_threads):
    counts, owners = run_count(four_threads, 1000, 10)
    assert (counts == 1).all()
    assert sorted(set(owners.tolist())) == list(range(0, 1000, 32))   # 32 chunks of ceil(1000/32)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 3000), min_chunk=st.integers(-2, 1200))
def test_every_n_and_min_chunk_covers_the_range_once(four_threads, n, min_chunk):
    counts, owners = run_count(four_threads, n, min_chunk)
    assert (counts == 1).all()
    assert sorted(set(owners.tolist())) == expected_chunk_starts(n, min_chunk, 4)


def test_many_back_to_back_calls_stay_exact(four_threads):
    # a late worker of one call must not disturb the next (generation-tagged claims)
    for n in range(200, 400):
        counts, _ = run_count(four_threads, n, 1)
        assert (counts == 1).all(), n


def _threads_of_this_process():
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(parallel.futex_syscall() is None, reason="no worker pool on this platform")
def test_pool_workers_start_once_and_are_reused_after_sleeping():
    fns = build(4)
    assert fns["pool_state"]() == 0                        # nothing started before a loop
    before = _threads_of_this_process()
    counts, _ = run_count(fns, 5000, 1)
    assert (counts == 1).all() and fns["pool_state"]() == 2   # 2: ready
    started = _threads_of_this_process()
    assert started == before + 3
    for n in range(1000, 1100):
        counts, _ = run_count(fns, n, 1)
        assert (counts == 1).all(), n
    time.sleep(0.05)   # far past the spin: the workers sleep on the futex, the next loop wakes them
    counts, _ = run_count(fns, 5000, 1)
    assert (counts == 1).all()
    assert _threads_of_this_process() == started           # the same threads, none per call


def test_python_threads_calling_at_once_each_get_exact_results(four_threads):
    errors = []

    def hammer(seed):
        rng = np.random.default_rng(seed)
        for _ in range(60):
            n = int(rng.integers(1, 4000))
            counts, _ = run_count(four_threads, n, int(rng.integers(1, 300)))
            if not (counts == 1).all():
                errors.append(n)
    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_child_runs_parallel_loops_without_the_parents_pool(four_threads):
    counts, _ = run_count(four_threads, 5000, 1)   # the parent's pool is up
    assert (counts == 1).all()
    pid = os.fork()
    if pid == 0:   # child: the pool's threads do not exist here; the pid check must notice
        ok = all((run_count(four_threads, n, 7)[0] == 1).all() for n in (5000, 12345, 999))
        os._exit(0 if ok else 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            return
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung in a parallel loop")


def test_small_n_runs_as_one_serial_chunk(four_threads):
    counts, owners = run_count(four_threads, 100, 64)   # 2 threads possible: still parallel
    assert (counts == 1).all() and set(owners.tolist()) == {0, 64}
    counts, owners = run_count(four_threads, 64, 64)
    assert (counts == 1).all() and set(owners.tolist()) == {0}


def test_one_thread_build_is_serial():
    fns = build(1)
    counts, owners = run_count(fns, 5000, 1)
    assert (counts == 1).all() and set(owners.tolist()) == {0}


def test_parallel_elementwise_exp_matches_serial(four_threads):
    fns = four_threads
    x = np.linspace(-80, 80, 100_003, dtype=np.float32)
    y_par, y_ser = np.empty_like(x), np.empty_like(x)
    ctx = np.array([x.ctypes.data, y_par.ctypes.data], np.uint64)
    fns["run_exp"](ctx.ctypes.data, x.size, 1000)
    ctx2 = np.array([x.ctypes.data, y_ser.ctypes.data], np.uint64)
    fns["exp"](ctx2.ctypes.data, 0, x.size)
    np.testing.assert_array_equal(y_par, y_ser)
    np.testing.assert_allclose(y_par, np.exp(x), rtol=3e-7)


def test_installed_ag_parallel_for_is_callable_from_another_module():
    parallel.install()
    # the installed count follows the environment at the last set_num_threads: an earlier test
    # in this process may have changed both (monkeypatched OMP_NUM_THREADS), so resync it
    parallel.set_num_threads(None)
    jit = Jit(parallel.DECLARATION + "\n" + chunk_ir("count", _COUNT_BODY))
    fns = {"run_count": PROTO(jit.address("run_count"))}
    _KEEP.append(jit)
    counts, owners = run_count(fns, 100_000, 1000)
    assert (counts == 1).all()
    threads = parallel.host_threads()
    assert sorted(set(owners.tolist())) == expected_chunk_starts(100_000, 1000, threads)
    assert parallel.install() == parallel.install()


def test_ir_text_rejects_zero_threads():
    with pytest.raises(ValueError, match="num_threads must be >= 1"):
        parallel.ir_text(-1)


def test_thread_count_follows_the_environment_variable(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_NUM_THREADS", "3")
    assert parallel.host_threads() == 3
    monkeypatch.setenv("AUTOGRAPH_JIT_NUM_THREADS", "zero")
    with pytest.raises(ValueError, match="AUTOGRAPH_JIT_NUM_THREADS must be a positive integer"):
        parallel.host_threads()
    monkeypatch.delenv("AUTOGRAPH_JIT_NUM_THREADS")
    assert parallel.host_threads() >= 1
