"""Fork safety: what a child process made by `os.fork()` must reset to compile and run.

A forked child has only the thread that called fork. A lock another thread held at that moment
stays held forever in the child, and the first compile there would wait on it (a deadlock). So:
- `Lock()` / `RLock()` make locks that the child re-initialises (unlocked), except an RLock the
  forking thread itself holds (its own `with` block will release it);
- `in_child(fn)` registers `fn()` to run in the child (module state: counters, the parallel
  loops' worker pool, scratch-memory locks);
- before the fork, the locks given to `hold_across_fork` are taken in order (the CPU engine gives
  its LLVM lock, then llvmlite's own lock around every call into LLVM), so that the child never
  inherits LLVM's global state halfway through another thread's compile; the fork waits for that
  compile to finish, at most FORK_WAIT_SECONDS a lock. The child then finds them unlocked.

A leaf: it imports nothing of ours; `os.register_at_fork` runs the hooks (forks through
`os.fork`, `multiprocessing` and `concurrent.futures` with the fork start method).
"""
import os
import threading
import weakref

FORK_WAIT_SECONDS = 120.0

_locks = weakref.WeakSet()
_child_hooks = []
_across = []   # the RLocks to hold across fork, in acquisition order (see hold_across_fork)
_held = []     # per fork in progress: the locks _before took (released again after the fork)


def Lock():
    """A threading.Lock that a forked child finds unlocked."""
    lock = threading.Lock()
    _locks.add(lock)
    return lock


def RLock():
    """A threading.RLock that a forked child finds unlocked (unless the forking thread holds
    it)."""
    lock = threading.RLock()
    _locks.add(lock)
    return lock


def in_child(fn):
    """Run `fn()` in every child forked from now on (after the locks are re-initialised)."""
    _child_hooks.append(fn)
    return fn


def hold_across_fork(*rlocks):
    """Take these RLocks, in this order, before each fork (waiting for their holders) and give
    them back after it, in the parent and in the child."""
    for lock in rlocks:
        if lock not in _across:
            _across.append(lock)
            _locks.add(lock)


def _before():
    took = []
    for lock in _across:
        if not lock.acquire(timeout=FORK_WAIT_SECONDS):
            break  # a holder that never lets go: fork anyway (the child re-initialises it)
        took.append(lock)
    _held.append(took)


def _after_in_parent():
    for lock in reversed(_held.pop() if _held else []):
        lock.release()


def _after_in_child():
    took = _held.pop() if _held else []
    for lock in list(_locks):
        owned = getattr(lock, "_is_owned", None)
        if owned is not None and owned():
            continue  # an RLock of this thread: released below, or by its own `with`
        lock._at_fork_reinit()
    for lock in reversed(took):
        lock.release()
    for fn in list(_child_hooks):
        fn()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before, after_in_parent=_after_in_parent,
                        after_in_child=_after_in_child)
