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
- `ir_text(num_threads=None, name="ag_parallel_for")`: the definitions themselves (tests paste
  them under another name; a module holding such a copy must then live as long as the process,
  since a late worker may still run its code). `num_threads` is fixed when the text is made
  (default `host_threads()`: $AUTOGRAPH_JIT_NUM_THREADS, else the CPUs this process may run on).

Scheduling: threads = min(num_threads, ceil(n / min_chunk)) (min_chunk < 1 counts as 1); one
thread (or n <= 0) runs the whole range serially on the calling thread, no thread created.
Otherwise the range is cut into chunks of max(min_chunk, ceil(n / (4*threads))) indices, which
the calling thread and threads-1 detached pthreads claim from a shared atomic counter; the
caller returns once the done-counter reaches the chunk count (yielding while the last chunks
finish). Claiming instead of a fixed split means a worker that is not scheduled yet (a loaded
machine) costs nothing: the caller does the work itself. A worker preempted in the middle of a
chunk still delays the caller on an oversubscribed machine; AUTOGRAPH_JIT_NUM_THREADS=1 makes
every loop serial. The shared state is malloc'ed and reference counted, so a worker that starts
late only finds no chunk left and frees it if last; its code lives in the installed engine,
which outlives it. A failed pthread_create or malloc leaves the work to the calling thread.
Chunks should not call BLAS (it runs its own threads) nor Python.
"""
import ctypes
import os

from ...runtime import resident

DEFAULT_MIN_CHUNK = 1 << 15   # elements; below ~2 chunks of this a thread costs more than it saves
CHUNKS_PER_THREAD = 4
DECLARATION = "declare void @ag_parallel_for(ptr, ptr, i64, i64)"
_LIBC = ("pthread_create", "pthread_detach", "sched_yield", "malloc", "free")
# shared state, in i64 slots: 0 the chunk function, then these; next/done/refs each on its own
# cache line (64 bytes = 8 slots)
_CTX, _N, _CHUNK, _NCHUNKS, _NEXT, _DONE, _REFS, _STATE_BYTES = 1, 2, 3, 4, 8, 16, 24, 200


def host_threads():
    """$AUTOGRAPH_JIT_NUM_THREADS when set (1 switches threading off), else the CPUs this
    process may run on."""
    env = os.environ.get("AUTOGRAPH_JIT_NUM_THREADS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"AUTOGRAPH_JIT_NUM_THREADS must be a positive integer, got {env!r}")
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


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


def ir_text(num_threads=None, name="ag_parallel_for", declare_libc=True):
    """Definitions of @name (external) and its internal helpers; with the libc declarations
    unless the module already has them (declare_libc=False)."""
    t = int(num_threads or host_threads())
    if t < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    decls = ("declare i32 @pthread_create(ptr, ptr, ptr, ptr) nounwind\n"
             "declare i32 @pthread_detach(i64) nounwind\n"
             "declare i32 @sched_yield() nounwind\n"
             "declare ptr @malloc(i64) nounwind\n"
             "declare void @free(ptr) nounwind\n") if declare_libc else ""
    slots = "\n".join([_slot("ctx.p", "%s", _CTX), _slot("n.p", "%s", _N),
                       _slot("chunk.p", "%s", _CHUNK), _slot("nchunks.p", "%s", _NCHUNKS),
                       _slot("next.p", "%s", _NEXT), _slot("done.p", "%s", _DONE),
                       _slot("refs.p", "%s", _REFS)])
    return decls + f"""
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
run:
  %b = mul i64 %c, %chunk
  %e.0 = add i64 %b, %chunk
  %e.in = icmp ult i64 %e.0, %n
  %e = select i1 %e.in, i64 %e.0, i64 %n
  call void %fn(ptr %ctx, i64 %b, i64 %e)
  %d = atomicrmw add ptr %done.p, i64 1 release
  br label %claim
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

; {name}(chunk_fn, ctx, n, min_chunk): chunk_fn(ctx, b, e) over [0, n) on up to {t} threads
define void @{name}(ptr %fn, ptr %ctx, i64 %n, i64 %min_chunk) {{
entry:
  %tid = alloca i64
  %mc.small = icmp slt i64 %min_chunk, 1
  %mc = select i1 %mc.small, i64 1, i64 %min_chunk
  %n.pos = icmp sgt i64 %n, 0
  %n.1 = select i1 %n.pos, i64 %n, i64 1
  %want.0 = add i64 %n.1, %mc
  %want.1 = sub i64 %want.0, 1
  %want = udiv i64 %want.1, %mc
  %want.lt = icmp ult i64 %want, {t}
  %nt = select i1 %want.lt, i64 %want, i64 {t}
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
  %s = call ptr @malloc(i64 {_STATE_BYTES})
  %no.state = icmp eq ptr %s, null
  br i1 %no.state, label %serial.run, label %fill

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
wait:
  %done = load atomic i64, ptr %done.p acquire, align 8
  %finished = icmp uge i64 %done, %nchunks
  br i1 %finished, label %finish, label %yield
yield:
  %y = call i32 @sched_yield()
  br label %wait
finish:
  call void @{name}.release(ptr %s)
  ret void

serial.run:
  br i1 %n.pos, label %serial.call, label %serial.done
serial.call:
  call void %fn(ptr %ctx, i64 0, i64 %n)
  br label %serial.done
serial.done:
  ret void
}}
"""


def register_symbols():
    """{name: address} of the libc functions ag_parallel_for calls, registered with llvmlite so
    MCJIT resolves them even where the process's own symbols are not searched."""
    import llvmlite.binding as llvm
    libc = ctypes.CDLL(None)
    table = {name: ctypes.cast(getattr(libc, name), ctypes.c_void_p).value for name in _LIBC}
    for name, addr in table.items():
        llvm.add_symbol(name, addr)
    return table


def install(num_threads=None):
    """Compile ag_parallel_for once per process (resident: late workers may still run its code)
    and register it as an llvmlite symbol; returns its address."""
    register_symbols()
    return resident.install("ag_parallel_for", ir_text(num_threads), ["ag_parallel_for"])[
        "ag_parallel_for"]
