"""Write locks for tf.Variable values: no update is lost when threads write one variable at once.

An update reads a variable's value and installs a new one. Eagerly (`assign_add`: a read, an add
that lets go of the GIL on big arrays, an assign), and in a compiled call that lets go of the GIL
around its entry, another thread could install a value between the two, and one update would
be lost. TF takes a lock per resource variable in every op that writes it. Here a variable's
lock is one of STRIPES re-entrant locks (its unique id modulo STRIPES: no per-variable state,
so Variables stay picklable), and a writer takes its locks in ascending stripe order, so two
writers never wait on each other in a cycle:

- eager writes (`Variable.assign`, `assign_add`, `assign_sub`, a sliced variable's `assign`)
  hold their variable's lock from the read to the install;
- a compiled call on the ordinary path that writes variables holds their locks from reading
  their values to installing the new ones (codegen/llvm/executable.py); a call with host
  callbacks (Python runs inside it and may write other variables) holds every lock;
- native warm calls take no lock: while any writer holds its locks, native warm calls step
  aside (tracing/context.py `pause_native_calls`: holding the GIL is no shield, as another
  thread may take it between any two bytecodes); a native warm call that writes variables
  without the GIL counts itself (`TRACING[1]`), and every writer here waits until none is
  running before it reads (`wait_for_native_writers`); an executable that writes variables and
  has host callbacks gets no native warm call (codegen/llvm/native_call.py).

Example:
    with writing([v, w]):
        ...            # read v and w, compute, install their new values
"""
from .runtime import forksafe
from .tracing import context as _context

__all__ = ["STRIPES", "writing", "eager_writing", "begin_write", "end_write"]

STRIPES = 64
_locks = [forksafe.RLock() for _ in range(STRIPES)]


def _stripe(variable):
    return getattr(variable, "_unique_id", id(variable)) % STRIPES


def _step_natives_aside():
    """With the caller's locks held: no native warm call starts, none that writes runs."""
    _context.pause_native_calls()
    if _context.TRACING[1]:
        _context.wait_for_native_writers()


def begin_write(variable):
    """`writing((variable,))` entered, without the context manager (Variable.assign's fast
    path, ~0.5 us cheaper); returns what `end_write` takes."""
    lock = _locks[_stripe(variable)]
    lock.acquire()
    _step_natives_aside()
    return lock


def end_write(lock):
    _context.resume_native_calls()
    lock.release()


def eager_writing(variable):
    """`writing((variable,))` when running eagerly; while tracing, a context that does nothing
    (the write is a graph op then: the call that runs the graph takes the locks)."""
    return writing((variable,)) if _context.current_builder() is None else _TRACING_WRITE


class _NoLocks:
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_TRACING_WRITE = _NoLocks()


class writing:
    """Context manager holding the write locks of `variables` (every lock with `every`), in
    ascending stripe order, with native warm calls stepped aside and none that writes running."""

    __slots__ = ("_held",)

    def __init__(self, variables, every=False):
        if every:
            self._held = _locks
        elif len(variables) == 1:
            self._held = (_locks[_stripe(variables[0])],)
        else:
            self._held = [_locks[i] for i in sorted(set(map(_stripe, variables)))]

    def __enter__(self):
        for lock in self._held:
            lock.acquire()
        _step_natives_aside()
        return self

    def __exit__(self, *exc):
        _context.resume_native_calls()
        for lock in reversed(self._held):
            lock.release()
        return False
