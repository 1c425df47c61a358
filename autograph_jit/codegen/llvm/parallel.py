"""Parallel loops for the LLVM CPU backend: `ag_parallel_for`, IR that splits an index range
across the host's cores with pthreads called straight from compiled code.

Interface (used by the backend):
- The backend outlines a loop body into a chunk function
      void @chunk(ptr ctx, i64 begin, i64 end)        ; processes indices begin <= i < end
  (ctx: whatever the chunk needs, e.g. a struct of buffer pointers) and calls
      call void @ag_parallel_for(ptr @chunk, ptr %ctx, i64 %n, i64 %min_chunk)
  (`call_ir(...)` spells that line; `DECLARATION` declares it). It returns when every index of
  [0, n) has been processed exactly once. Chunks run concurrently: they must write disjoint
  memory and not touch Python (the caller releases the GIL around the whole native call).
- `install()` compiles `ir_text()` once per process into a resident engine (runtime/resident.py,
  never freed) and registers `ag_parallel_for` (and the libc functions it calls) with llvmlite;
  call it before finalizing a module that declares ag_parallel_for. Idempotent; returns the
  address.
- `ir_text(num_threads=None, name="ag_parallel_for", declare_libc=True, pool=True)`: the
  definitions themselves (tests paste them under another name; a module holding such a copy
  must then live as long as the process, since its pool workers and late workers run its code).
  `num_threads` is the initial thread count (default `host_threads()`); `@<name>_set_threads(t)`
  changes it between loops; pool=False leaves only the per-call path.
- The thread count: `set_num_threads(n)` (tf.config.threading's intra-op setting), else
  $AUTOGRAPH_JIT_NUM_THREADS, else $OMP_NUM_THREADS, else the CPUs this process may run on.

Scheduling: threads = min(num_threads, ceil(n / min_chunk)) (min_chunk < 1 counts as 1); one
thread (or n <= 0) runs the whole range serially on the calling thread, no thread involved.
Otherwise the range is cut into chunks of max(min_chunk, ceil(n / (8*threads))) indices, which
the calling thread and up to threads-1 others claim one at a time; the caller returns once every
chunk is done (yielding while the last ones finish). Claiming instead of a fixed split means a
worker that is not scheduled yet (a loaded machine) costs nothing: the caller does the work
itself. A worker preempted in the middle of a chunk still delays the caller on an oversubscribed
machine; AUTOGRAPH_JIT_NUM_THREADS=1 makes every loop serial.

Threads: a pool of workers numbered 1, 2, ..., started by the first parallel loop of the process
(as many as its thread count less one; a later loop wanting more threads adds the missing ones)
and kept (detached) for its lifetime; worker k helps only loops of more than k threads. Between loops a worker spins on the job generation for ~50 us (a
loop called again soon finds it awake), then sleeps on a futex that the next loop wakes. The job
lives in the pool's static slots; a chunk is claimed by compare-and-swap on (generation << 32 |
next chunk), so a worker that wakes late, or still holds the previous job's fields, can never
claim a chunk of a job it did not read. One caller uses the pool at a time (a try-lock). The
fallback, used when the pool is busy (another Python thread, or a parallel loop inside a chunk),
in a fork()ed child not reset by `@<name>_after_fork` (the pool's threads do not exist there: the
pid differs; the installed copy is reset by an os.register_at_fork hook, so a child starts a pool
of its own), where the pool
could not start, or where no futex is known (not Linux x86-64/AArch64): the per-call path,
threads-1 detached pthreads sharing a malloc'ed, reference-counted job, so a worker that starts
late only finds no chunk left and frees it if last. A failed pthread_create or malloc leaves the
work to the calling thread; the code lives in the installed engine, which outlives every worker.
Chunks should not call BLAS (it runs its own threads) nor Python.
"""
import ctypes
import os
import platform
import sys

import llvmlite.binding as llvm

from ...runtime import forksafe, resident
from ...runtime.llvm_opt import PLUMBING

DEFAULT_MIN_CHUNK = 1 << 15   # elements; below ~2 chunks of this a thread costs more than it saves
CHUNKS_PER_THREAD = 8   # finer chunks even out a loop's end, most when a core is busy elsewhere
DECLARATION = "declare void @ag_parallel_for(ptr, ptr, i64, i64)"
_LIBC = ("pthread_create", "pthread_detach", "sched_yield", "malloc", "free", "getpid", "syscall")
_FUTEX_SYSCALL = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98}   # SYS_futex
_FUTEX_WAIT, _FUTEX_WAKE = 128, 129   # FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE
SPIN_CYCLES = 100_000   # cycle-counter ticks a pool worker spins before sleeping (~50 us)
_SPIN_LIMIT = 1 << 20   # iterations, in case the target has no cycle counter (reads 0)
# shared state, in i64 slots: 0 the chunk function, then these; next/done/refs each on its own
# cache line (64 bytes = 8 slots)
_CTX, _N, _CHUNK, _NCHUNKS, _NEXT, _DONE, _REFS, _STATE_BYTES = 1, 2, 3, 4, 8, 16, 24, 200


_chosen = []   # [threads] set by set_num_threads (tf.config.threading); empty: the default


def default_threads():
    """$AUTOGRAPH_JIT_NUM_THREADS when set (1 switches threading off), else $OMP_NUM_THREADS (as
    Spark, Dask and Ray workers set it; a list like "4,2" gives its first level), else the CPUs
    this process may run on."""
    env = os.environ.get("AUTOGRAPH_JIT_NUM_THREADS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"AUTOGRAPH_JIT_NUM_THREADS must be a positive integer, got {env!r}")
        return int(env)
    omp = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if omp:
        if not omp.isdigit() or int(omp) < 1:
            raise ValueError(f"OMP_NUM_THREADS must be a positive integer (or a list of them), "
                             f"got {os.environ['OMP_NUM_THREADS']!r}")
        return int(omp)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def host_threads():
    """The threads a parallel loop uses now: set_num_threads's count, else default_threads()."""
    return _chosen[0] if _chosen else default_threads()


def set_num_threads(threads):
    """Parallel loops use up to `threads` threads from now on (None or 0: back to
    default_threads()); takes effect in the installed ag_parallel_for at once."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 0):
        raise ValueError(f"the number of threads must be a non-negative int, got {threads!r}")
    _chosen[:] = [threads] if threads else []
    if _installed:
        _installed["set_threads"](host_threads())


def plan(n, min_chunk, num_threads):
    """(threads, chunk size, chunk count) that ag_parallel_for uses, as the IR computes it."""
    if n <= 0:
        return 1, 0, 0
    mc = max(min_chunk, 1)
    threads = min(num_threads, -(-n // mc))
    if threads <= 1:
        return 1, n, 1
    chunk = max(mc, -(-n // (CHUNKS_PER_THREAD * threads)))
    return threads, chunk, -(-n // chunk)


def call_ir(chunk_fn, ctx, n, min_chunk=DEFAULT_MIN_CHUNK, name="ag_parallel_for"):
    """The IR call line running `@chunk_fn` over [0, n): chunk_fn is a function name (without @),
    ctx a ptr value, n and min_chunk i64 values or literals."""
    return f"call void @{name}(ptr @{chunk_fn}, ptr {ctx}, i64 {n}, i64 {min_chunk})"


def _slot(name, state, index):
    return f"  %{name} = getelementptr inbounds i64, ptr {state}, i64 {index}"


def futex_syscall():
    """The futex syscall number on this host, or None (no pool: the per-call path only)."""
    if not sys.platform.startswith("linux"):
        return None
    return _FUTEX_SYSCALL.get(platform.machine().lower())


def ir_text(num_threads=None, name="ag_parallel_for", declare_libc=True, pool=True):
    """Definitions of @name (external) and its internal helpers; with the libc declarations
    unless the module already has them (declare_libc=False). pool=False: the per-call path only
    (also where futex_syscall() is None)."""
    t = int(num_threads or host_threads())
    if t < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    futex = futex_syscall() if pool else None
    decls = ("declare i32 @pthread_create(ptr, ptr, ptr, ptr) nounwind\n"
             "declare i32 @pthread_detach(i64) nounwind\n"
             "declare i32 @sched_yield() nounwind\n"
             "declare ptr @malloc(i64) nounwind\n"
             "declare void @free(ptr) nounwind\n") if declare_libc else ""
    if futex is not None:
        decls += ("declare i32 @getpid() nounwind\n" if declare_libc else "") + \
            ("declare i64 @syscall(i64, ...) nounwind\n" if declare_libc else "") + \
            "declare i64 @llvm.readcyclecounter()\n" + \
            ("declare void @llvm.x86.sse2.pause()\n" if _x86() else "")
    return decls + _spawn_ir(name) + (_pool_ir(name, futex) if futex is not None else "") \
        + _entry_ir(name, t, futex is not None)


def _x86():
    return platform.machine().lower() in ("x86_64", "amd64")


def _run_chunk(index, done):
    """IR block `run`: process chunk `index` (indices [index*chunk, min(that+chunk, n))), count
    it in `done`, claim the next."""
    return f"""run:
  %b = mul i64 {index}, %chunk
  %e.0 = add i64 %b, %chunk
  %e.in = icmp ult i64 %e.0, %n
  %e = select i1 %e.in, i64 %e.0, i64 %n
  call void %fn(ptr %ctx, i64 %b, i64 %e)
  %d = atomicrmw add ptr {done}, i64 1 release
  br label %claim"""


def _wait_for_chunks(done):
    """IR blocks `wait`/`yield`: yield the CPU until `done` counts every chunk, then go to
    `finish`."""
    return f"""wait:
  %done = load atomic i64, ptr {done} acquire, align 8
  %finished = icmp uge i64 %done, %nchunks
  br i1 %finished, label %finish, label %yield
yield:
  %y = call i32 @sched_yield()
  br label %wait"""


def _spawn_ir(name):
    """The per-call path's helpers: a malloc'ed job claimed through a shared counter."""
    slots = "\n".join([_slot("ctx.p", "%s", _CTX), _slot("n.p", "%s", _N),
                       _slot("chunk.p", "%s", _CHUNK), _slot("nchunks.p", "%s", _NCHUNKS),
                       _slot("next.p", "%s", _NEXT), _slot("done.p", "%s", _DONE),
                       _slot("refs.p", "%s", _REFS)])
    return f"""
; {name}.work: claim chunks from the shared counter until none is left
define internal void @{name}.work(ptr %s) nounwind {{
entry:
{slots}
  %fn = load ptr, ptr %s
  %ctx = load ptr, ptr %ctx.p
  %n = load i64, ptr %n.p
  %chunk = load i64, ptr %chunk.p
  %nchunks = load i64, ptr %nchunks.p
  br label %claim
claim:
  %c = atomicrmw add ptr %next.p, i64 1 monotonic
  %has = icmp ult i64 %c, %nchunks
  br i1 %has, label %run, label %exit
{_run_chunk('%c', '%done.p')}
exit:
  ret void
}}

; {name}.release: drop one reference to the shared state; the last one frees it
define internal void @{name}.release(ptr %s) nounwind {{
entry:
{_slot("refs.p", "%s", _REFS)}
  %old = atomicrmw sub ptr %refs.p, i64 1 acq_rel
  %last = icmp eq i64 %old, 1
  br i1 %last, label %free, label %exit
free:
  call void @free(ptr %s)
  br label %exit
exit:
  ret void
}}

define internal ptr @{name}.thread(ptr %s) nounwind {{
entry:
  call void @{name}.work(ptr %s)
  call void @{name}.release(ptr %s)
  ret ptr null
}}

; {name}.spawn(fn, ctx, n, chunk, nchunks, threads): the per-call path
define internal void @{name}.spawn(ptr %fn, ptr %ctx, i64 %n, i64 %chunk, i64 %nchunks,
                                   i64 %nt) nounwind {{
entry:
  %tid = alloca i64
  %s = call ptr @malloc(i64 {_STATE_BYTES})
  %no.state = icmp eq ptr %s, null
  br i1 %no.state, label %serial, label %fill
serial:
  call void %fn(ptr %ctx, i64 0, i64 %n)
  ret void
fill:
{slots}
  store ptr %fn, ptr %s
  store ptr %ctx, ptr %ctx.p
  store i64 %n, ptr %n.p
  store i64 %chunk, ptr %chunk.p
  store i64 %nchunks, ptr %nchunks.p
  store i64 0, ptr %next.p
  store i64 0, ptr %done.p
  store i64 1, ptr %refs.p
  br label %spawn
spawn:
  %i = phi i64 [ 1, %fill ], [ %i.next, %spawn.next ]
  %r = atomicrmw add ptr %refs.p, i64 1 monotonic
  %rc = call i32 @pthread_create(ptr %tid, ptr null, ptr @{name}.thread, ptr %s)
  %ok = icmp eq i32 %rc, 0
  br i1 %ok, label %spawn.detach, label %spawn.failed
spawn.detach:
  %tid.v = load i64, ptr %tid
  %dr = call i32 @pthread_detach(i64 %tid.v)
  br label %spawn.next
spawn.failed:
  call void @{name}.release(ptr %s)
  br label %spawn.next
spawn.next:
  %i.next = add i64 %i, 1
  %more = icmp ult i64 %i.next, %nt
  br i1 %more, label %spawn, label %own
own:
  call void @{name}.work(ptr %s)
  br label %wait
{_wait_for_chunks('%done.p')}
finish:
  call void @{name}.release(ptr %s)
  ret void
}}
"""


def _job_slot(reg, name, index):
    return f"  %{reg} = getelementptr inbounds [6 x i64], ptr @{name}.job, i64 0, i64 {index}"


def _pool_ir(name, futex):
    """The pool: static job slots, the claim loop keyed by generation, the workers, their start
    (and growth), @{name}.pool(fn, ctx, n, chunk, nchunks, threads) -> i1 (false: the pool is
    not usable now) and @{name}_after_fork (a forked child starts a pool of its own)."""
    job = "\n".join(_job_slot(r, name, i) for i, r in
                    enumerate(("fn.p", "ctx.p", "n.p", "chunk.p", "nchunks.p", "nt.p")))
    pause = "  call void @llvm.x86.sse2.pause()\n" if _x86() else ""
    return f"""
; the pool's job: generation (futex word), sleeping workers, (generation << 32 | next chunk),
; chunks done, job fields (fn, ctx, n, chunk, nchunks, threads), caller lock, state (0 unstarted,
; 1 starting or growing, 2 ready, 3 unavailable), the pid that started it and the workers
; started (numbered 1..started; worker k helps a job of more than k threads)
@{name}.gen = internal global i32 0, align 64
@{name}.sleepers = internal global i32 0, align 64
@{name}.next = internal global i64 0, align 64
@{name}.done = internal global i64 0, align 64
@{name}.job = internal global [6 x i64] zeroinitializer, align 64
@{name}.busy = internal global i32 0, align 64
@{name}.state = internal global i32 0, align 64
@{name}.pid = internal global i32 0, align 64
@{name}.started = internal global i32 0, align 64

; {name}.claim(g): run chunks of job g until none is left. The fields are read first; a chunk
; is claimed only by a compare-and-swap that still finds generation g, so fields that a new job
; overwrote meanwhile are never used (the caller resets `next` before rewriting them).
define internal void @{name}.claim(i32 %g) nounwind {{
entry:
{job}
  %fn = load atomic ptr, ptr %fn.p monotonic, align 8
  %ctx = load atomic ptr, ptr %ctx.p monotonic, align 8
  %n = load atomic i64, ptr %n.p monotonic, align 8
  %chunk = load atomic i64, ptr %chunk.p monotonic, align 8
  %nchunks = load atomic i64, ptr %nchunks.p monotonic, align 8
  fence acquire
  %g64 = zext i32 %g to i64
  %tag = shl i64 %g64, 32
  br label %claim
claim:
  %v = load atomic i64, ptr @{name}.next monotonic, align 8
  %vtag = and i64 %v, -4294967296
  %same = icmp eq i64 %vtag, %tag
  %idx = and i64 %v, 4294967295
  %left = icmp ult i64 %idx, %nchunks
  %ok = and i1 %same, %left
  br i1 %ok, label %cas, label %exit
cas:
  %v1 = add i64 %v, 1
  %pair = cmpxchg ptr @{name}.next, i64 %v, i64 %v1 acq_rel monotonic
  %won = extractvalue {{ i64, i1 }} %pair, 1
  br i1 %won, label %run, label %claim
{_run_chunk('%idx', f'@{name}.done')}
exit:
  ret void
}}

; {name}.worker: forever: spin ~{SPIN_CYCLES} cycles for a new generation, else sleep on it
define internal ptr @{name}.worker(ptr %arg) nounwind {{
entry:
  %index = ptrtoint ptr %arg to i64
{_job_slot("nt.p", name, 5)}
  %seen.p = alloca i32
  store i32 0, ptr %seen.p
  br label %idle
idle:
  %seen = load i32, ptr %seen.p
  %t0 = call i64 @llvm.readcyclecounter()
  br label %spin
spin:
  %k = phi i64 [ 0, %idle ], [ %k.next, %spin.check ]
  %g = load atomic i32, ptr @{name}.gen acquire, align 4
  %new = icmp ne i32 %g, %seen
  br i1 %new, label %run, label %spin.check
spin.check:
{pause}  %t = call i64 @llvm.readcyclecounter()
  %dt = sub i64 %t, %t0
  %k.next = add i64 %k, 1
  %long = icmp ugt i64 %dt, {SPIN_CYCLES}
  %many = icmp ugt i64 %k.next, {_SPIN_LIMIT}
  %stop = or i1 %long, %many
  br i1 %stop, label %sleep, label %spin
sleep:
  %s0 = atomicrmw add ptr @{name}.sleepers, i32 1 seq_cst
  %g2 = load atomic i32, ptr @{name}.gen seq_cst, align 4
  %still = icmp eq i32 %g2, %seen
  br i1 %still, label %sleep.wait, label %sleep.end
sleep.wait:
  %seen64 = zext i32 %seen to i64
  %w = call i64 (i64, ...) @syscall(i64 {futex}, ptr @{name}.gen, i64 {_FUTEX_WAIT},
                                    i64 %seen64, ptr null)
  br label %sleep.end
sleep.end:
  %s1 = atomicrmw sub ptr @{name}.sleepers, i32 1 seq_cst
  br label %idle
run:
  store i32 %g, ptr %seen.p
  %job.nt = load atomic i64, ptr %nt.p monotonic, align 8
  %helps = icmp ult i64 %index, %job.nt
  br i1 %helps, label %help, label %idle
help:
  call void @{name}.claim(i32 %g)
  br label %idle
}}

; {name}.start(nt): make sure nt - 1 workers run (the first caller starts them, a caller wanting
; more adds the missing ones); -> whether the pool is usable here (some worker runs in this pid)
define internal i1 @{name}.start(i64 %nt) nounwind {{
entry:
  %tid = alloca i64
  %st = load atomic i32, ptr @{name}.state acquire, align 4
  %ready = icmp eq i32 %st, 2
  br i1 %ready, label %check.pid, label %unready
unready:
  %fresh = icmp eq i32 %st, 0
  br i1 %fresh, label %claim, label %no
claim:
  %cx = cmpxchg ptr @{name}.state, i32 0, i32 1 acq_rel monotonic
  %mine = extractvalue {{ i32, i1 }} %cx, 1
  br i1 %mine, label %create, label %no
create:
  %pid0 = call i32 @getpid()
  store atomic i32 %pid0, ptr @{name}.pid monotonic, align 4
  br label %grow
check.pid:
  %pid = call i32 @getpid()
  %pid.v = load atomic i32, ptr @{name}.pid monotonic, align 4
  %same = icmp eq i32 %pid, %pid.v
  br i1 %same, label %check.size, label %no
check.size:
  %have = load atomic i32, ptr @{name}.started monotonic, align 4
  %have64 = zext i32 %have to i64
  %need = sub i64 %nt, 1
  %enough = icmp uge i64 %have64, %need
  br i1 %enough, label %yes, label %claim.grow
claim.grow:
  %cx2 = cmpxchg ptr @{name}.state, i32 2, i32 1 acq_rel monotonic
  %mine2 = extractvalue {{ i32, i1 }} %cx2, 1
  br i1 %mine2, label %grow, label %yes
grow:
  %from = load atomic i32, ptr @{name}.started monotonic, align 4
  %from64 = zext i32 %from to i64
  %first = add i64 %from64, 1
  %some.to.start = icmp ult i64 %first, %nt
  br i1 %some.to.start, label %spawn, label %created
spawn:
  %i = phi i64 [ %first, %grow ], [ %i.next, %spawn.next ]
  %count = phi i32 [ %from, %grow ], [ %count.next, %spawn.next ]
  %index = add i32 %count, 1
  %index64 = zext i32 %index to i64
  %arg = inttoptr i64 %index64 to ptr
  %rc = call i32 @pthread_create(ptr %tid, ptr null, ptr @{name}.worker, ptr %arg)
  %ok = icmp eq i32 %rc, 0
  br i1 %ok, label %detach, label %spawn.next
detach:
  %tid.v = load i64, ptr %tid
  %dr = call i32 @pthread_detach(i64 %tid.v)
  br label %spawn.next
spawn.next:
  %added = phi i32 [ 0, %spawn ], [ 1, %detach ]
  %count.next = add i32 %count, %added
  %i.next = add i64 %i, 1
  %more = icmp ult i64 %i.next, %nt
  br i1 %more, label %spawn, label %created
created:
  %total = phi i32 [ %from, %grow ], [ %count.next, %spawn.next ]
  store atomic i32 %total, ptr @{name}.started monotonic, align 4
  %any = icmp ugt i32 %total, 0
  %newst = select i1 %any, i32 2, i32 3
  store atomic i32 %newst, ptr @{name}.state release, align 4
  ret i1 %any
yes:
  ret i1 true
no:
  ret i1 false
}}

; {name}_after_fork(): in a forked child (only the forking thread exists there), forget the
; parent's workers and caller, so that the child's next loop starts a pool of its own
define void @{name}_after_fork() nounwind {{
entry:
  store atomic i32 0, ptr @{name}.started monotonic, align 4
  store atomic i32 0, ptr @{name}.sleepers monotonic, align 4
  store atomic i32 0, ptr @{name}.busy monotonic, align 4
  store atomic i64 0, ptr @{name}.next monotonic, align 8
  store atomic i64 0, ptr @{name}.done monotonic, align 8
  store atomic i32 0, ptr @{name}.state release, align 4
  ret void
}}

; {name}.pool(fn, ctx, n, chunk, nchunks, nt): run the job on the pool with up to nt threads; false
; (nothing run) when the pool is unusable here or another caller holds it
define internal i1 @{name}.pool(ptr %fn, ptr %ctx, i64 %n, i64 %chunk, i64 %nchunks,
                                i64 %nt) nounwind {{
entry:
  %usable = call i1 @{name}.start(i64 %nt)
  br i1 %usable, label %lock, label %no
lock:
  %lk = cmpxchg ptr @{name}.busy, i32 0, i32 1 acquire monotonic
  %got = extractvalue {{ i32, i1 }} %lk, 1
  br i1 %got, label %publish, label %no
publish:
{job}
  %g.old = load atomic i32, ptr @{name}.gen monotonic, align 4
  %g = add i32 %g.old, 1
  %g64 = zext i32 %g to i64
  %tag = shl i64 %g64, 32
  store atomic i64 %tag, ptr @{name}.next monotonic, align 8
  fence release
  store atomic ptr %fn, ptr %fn.p monotonic, align 8
  store atomic ptr %ctx, ptr %ctx.p monotonic, align 8
  store atomic i64 %n, ptr %n.p monotonic, align 8
  store atomic i64 %chunk, ptr %chunk.p monotonic, align 8
  store atomic i64 %nchunks, ptr %nchunks.p monotonic, align 8
  store atomic i64 %nt, ptr %nt.p monotonic, align 8
  store atomic i64 0, ptr @{name}.done monotonic, align 8
  store atomic i32 %g, ptr @{name}.gen seq_cst, align 4
  %sl = load atomic i32, ptr @{name}.sleepers seq_cst, align 4
  %asleep = icmp ne i32 %sl, 0
  br i1 %asleep, label %wake, label %own
wake:
  %wk = call i64 (i64, ...) @syscall(i64 {futex}, ptr @{name}.gen, i64 {_FUTEX_WAKE},
                                     i64 2147483647, ptr null)
  br label %own
own:
  call void @{name}.claim(i32 %g)
  br label %wait
{_wait_for_chunks(f'@{name}.done')}
finish:
  store atomic i32 0, ptr @{name}.busy release, align 4
  ret i1 true
no:
  ret i1 false
}}
"""


def _entry_ir(name, t, pooled):
    """@name itself: the plan (as plan() computes it, for the thread count set now), then the
    pool or the per-call path; @{name}_set_threads(t) sets that count (at least 1)."""
    dispatch = (f"""  %pooled = call i1 @{name}.pool(ptr %fn, ptr %ctx, i64 %n, i64 %chunk,
                              i64 %nchunks, i64 %nt)
  br i1 %pooled, label %done, label %spawn
spawn:
""" if pooled else "")
    after_fork = "" if pooled else f"""
define void @{name}_after_fork() nounwind {{
entry:
  ret void
}}
"""
    return after_fork + f"""
; the thread count loops use now (set_threads changes it between loops)
@{name}.threads = internal global i64 {t}, align 64

define void @{name}_set_threads(i64 %t) nounwind {{
entry:
  %small = icmp slt i64 %t, 1
  %v = select i1 %small, i64 1, i64 %t
  store atomic i64 %v, ptr @{name}.threads monotonic, align 8
  ret void
}}

; {name}(chunk_fn, ctx, n, min_chunk): chunk_fn(ctx, b, e) over [0, n) on up to
; {name}.threads threads (initially {t})
define void @{name}(ptr %fn, ptr %ctx, i64 %n, i64 %min_chunk) {{
entry:
  %t = load atomic i64, ptr @{name}.threads monotonic, align 8
  %mc.small = icmp slt i64 %min_chunk, 1
  %mc = select i1 %mc.small, i64 1, i64 %min_chunk
  %n.pos = icmp sgt i64 %n, 0
  %n.1 = select i1 %n.pos, i64 %n, i64 1
  %want.0 = add i64 %n.1, %mc
  %want.1 = sub i64 %want.0, 1
  %want = udiv i64 %want.1, %mc
  %want.lt = icmp ult i64 %want, %t
  %nt = select i1 %want.lt, i64 %want, i64 %t
  %serial = icmp ule i64 %nt, 1
  br i1 %serial, label %serial.run, label %setup

setup:
  %parts = mul i64 %nt, {CHUNKS_PER_THREAD}
  %chunk.0 = add i64 %n.1, %parts
  %chunk.1 = sub i64 %chunk.0, 1
  %chunk.2 = udiv i64 %chunk.1, %parts
  %chunk.lt = icmp ult i64 %chunk.2, %mc
  %chunk = select i1 %chunk.lt, i64 %mc, i64 %chunk.2
  %nchunks.0 = add i64 %n.1, %chunk
  %nchunks.1 = sub i64 %nchunks.0, 1
  %nchunks = udiv i64 %nchunks.1, %chunk
{dispatch}  call void @{name}.spawn(ptr %fn, ptr %ctx, i64 %n, i64 %chunk, i64 %nchunks, i64 %nt)
  br label %done

serial.run:
  br i1 %n.pos, label %serial.call, label %done
serial.call:
  call void %fn(ptr %ctx, i64 0, i64 %n)
  br label %done
done:
  ret void
}}
"""


def register_symbols():
    """{name: address} of the libc functions ag_parallel_for calls, registered with llvmlite so
    MCJIT resolves them even where the process's own symbols are not searched."""
    libc = ctypes.CDLL(None)
    table = {name: ctypes.cast(getattr(libc, name), ctypes.c_void_p).value for name in _LIBC}
    for name, addr in table.items():
        llvm.add_symbol(name, addr)
    return table


def check_available():
    """Raise unless ag_parallel_for can run here (the libc thread functions it calls; registers
    them). A lowering that calls ag_parallel_for only declares it, and `install()` runs when
    the module is linked; its object starts compiling on the compile threads now
    (resident.compile_early), so that the link finds it made."""
    register_symbols()
    resident.compile_early("ag_parallel_for", ir_text, opt_level=PLUMBING)


_installed = {}   # "set_threads" / "after_fork": ctypes functions of the installed copy
_EXPORTS = ("ag_parallel_for", "ag_parallel_for_set_threads", "ag_parallel_for_after_fork")


def install(num_threads=None):
    """Compile ag_parallel_for once per process (resident: its pool workers run its code for
    the life of the process) and register it as an llvmlite symbol; returns its address."""
    register_symbols()
    table = resident.install("ag_parallel_for", ir_text(num_threads), list(_EXPORTS),
                             opt_level=PLUMBING)
    _pin_resident_code()
    if not _installed:
        _installed["set_threads"] = ctypes.CFUNCTYPE(None, ctypes.c_int64)(
            table["ag_parallel_for_set_threads"])
        _installed["after_fork"] = ctypes.CFUNCTYPE(None)(table["ag_parallel_for_after_fork"])
        # (the object code may come from the disk cache, made under another thread count)
        _installed["set_threads"](num_threads or host_threads())
    return table["ag_parallel_for"]


@forksafe.in_child
def _pool_after_fork():
    """A forked child starts its own workers (the parent's do not exist there)."""
    if _installed:
        _installed["after_fork"]()


_PINNED = set()


def _pin_resident_code():
    """One extra reference to each resident engine, never dropped: interpreter shutdown clears
    module globals, and freeing an engine would unmap code that a pool worker (spinning, or woken
    by a signal) may still execute."""
    for engine in list(resident._keep):
        if id(engine) not in _PINNED:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(engine))
            _PINNED.add(id(engine))
