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
  `gate_across_fork` hooks run inside them (the compile threads' gate, runtime/llvm_pool.py);
- before that, the fork waits (as long) for every module another thread is importing: the
  compiler imports parts of itself on first use (the lowerer, the vector math), and a module
  half executed at the fork could never finish in the child, whose first compile would then
  wait on that module's import lock forever. (Read from importlib's table of module locks; a
  Python without that table forks without waiting.)

A leaf: it imports nothing of ours; `os.register_at_fork` runs the hooks (forks through
`os.fork`, `multiprocessing` and `concurrent.futures` with the fork start method).
"""
import importlib
import os
import threading
import time
import weakref

FORK_WAIT_SECONDS = 120.0

_locks = weakref.WeakSet()
_child_hooks = []
_across = []   # the RLocks to hold across fork, in acquisition order (see hold_across_fork)
_held = []     # per fork in progress: the locks _before took (released again after the fork)
_gates = []    # (before, after_in_parent, after_in_child) run inside the held locks


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


def _wait_for_imports():
    """Wait until no other thread is executing a module import (at most FORK_WAIT_SECONDS)."""
    table = getattr(getattr(importlib, "_bootstrap", None), "_module_locks", None)
    if not isinstance(table, dict):
        return
    me = threading.get_ident()
    deadline = time.monotonic() + FORK_WAIT_SECONDS
    while time.monotonic() < deadline:
        busy = False
        for ref in list(table.values()):
            lock = ref()
            owner = getattr(lock, "owner", None)
            if owner is not None and owner != me and getattr(lock, "count", 0):
                busy = True
                break
        if not busy:
            return
        time.sleep(0.001)


def gate_across_fork(before, after_in_parent, after_in_child):
    """Run `before()` at each fork once the hold_across_fork locks are taken (a gate that holds
    back work those locks' holders may be waiting for must close after them, not before), and
    the matching `after_*()` before they are given back."""
    _gates.append((before, after_in_parent, after_in_child))


def _before():
    _wait_for_imports()
    took = []
    for lock in _across:
        if not lock.acquire(timeout=FORK_WAIT_SECONDS):
            break  # a holder that never lets go: fork anyway (the child re-initialises it)
        took.append(lock)
    _held.append(took)
    for before, _, _ in _gates:
        before()


def _after_in_parent():
    for _, after, _ in reversed(_gates):
        after()
    for lock in reversed(_held.pop() if _held else []):
        lock.release()


def _after_in_child():
    for _, _, after in reversed(_gates):
        after()
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
