"""Compiles started ahead of need: a module text known before its compile asks for it (one part
of a module the Lowerer is still lowering, codegen/llvm/early_parts.py; the runtime glue a
lowering declared, runtime/resident.py) starts compiling on the compile threads at once, and the
compile that later asks for the same text and level takes the result (llvm_worker.
compile_objects).

At most `pool_size() - 1` started jobs run at once (at least one), oldest first: the thread that
lowers keeps a core to itself, so the jobs use the core it leaves idle instead of slowing it. A
job still queued when its compile asks for it is dropped, and that compile runs it with its own
jobs, on the whole pool. The last KEPT jobs are kept; a job nobody asks for goes with the oldest.

While jobs run, the interpreter's switch interval is SWITCH_INTERVAL (then set back, unless
someone else changed it meanwhile). A job calls into LLVM some twenty times, and each return
needs the GIL back from the thread that lowers, which holds it for up to the switch interval
(5 ms by default) at a time: at 5 ms a part's compile waited ~100 ms for the GIL and barely
overlapped the lowering. At 0.5 ms it overlaps (a Keras MLP step: lowering plus compile
204 -> 167 ms, medians of 10 cold processes; 0 ms gained at 5 ms).

- `start(key, job)`: queue `job()` under `key` (a no-op for a key already there).
- `take(key)`: the Future of the job under `key` if it started, else None (removed either way).

Example:
    start((3, text), lambda: compile_one(text))   # ... later:
    future = take((3, text))
    obj = future.result() if future is not None else compile_one(text)
"""
import collections
import sys

from . import forksafe, llvm_pool

__all__ = ["start", "take", "KEPT", "SWITCH_INTERVAL"]

KEPT = 32
SWITCH_INTERVAL = 0.0005
_lock = forksafe.Lock()
_jobs = collections.OrderedDict()   # key -> [job, Future or None (queued)]
_running = [0]
_saved_interval = [None]   # the switch interval before the jobs ran (None: not changed)


@forksafe.in_child
def _forget():
    _jobs.clear()       # (the parent's compile threads are not in the child)
    _running[0] = 0
    _relax()


def start(key, job):
    """Queue `job()` under `key`, to run as soon as a compile thread is free for it. Returns
    False when the compile threads cannot run jobs concurrently (nothing was queued)."""
    if not llvm_pool.concurrent_jobs():
        return False
    with _lock:
        if key not in _jobs:
            _jobs[key] = [job, None]
            while len(_jobs) > KEPT:
                _, (_, future) = _jobs.popitem(last=False)
                if future is not None and future.cancel():   # (a running one finishes, unread)
                    _running[0] -= 1      # (cancelled before it ran: _run never counts it down)
            _pump()
            if not _running[0]:
                _relax()
    return True


def take(key):
    """The Future of the job under `key` when it started; None when there is none or it never
    left the queue (then it is dropped: the caller compiles it itself)."""
    with _lock:
        entry = _jobs.pop(key, None)
    return None if entry is None else entry[1]


def _pump():
    """Start queued jobs, oldest first, while fewer than the limit run (called holding _lock)."""
    limit = max(1, llvm_pool.pool_size() - 1)
    for key, entry in list(_jobs.items()):
        if _running[0] >= limit:
            return
        if entry[1] is None:
            future = llvm_pool.submit(_run, entry[0])
            if future is None:
                del _jobs[key]
                continue
            entry[1] = future
            _running[0] += 1
            _hurry()


def _run(job):
    try:
        return job()
    finally:
        with _lock:
            _running[0] -= 1
            _pump()
            if not _running[0]:
                _relax()


def _hurry():
    if _saved_interval[0] is None and sys.getswitchinterval() > SWITCH_INTERVAL:
        _saved_interval[0] = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)


def _relax():
    saved, _saved_interval[0] = _saved_interval[0], None
    if saved is not None and sys.getswitchinterval() == SWITCH_INTERVAL:
        sys.setswitchinterval(saved)
