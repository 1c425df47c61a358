"""Hostile inputs, run in a child process so that a native crash is a reported failure instead of
a dead test run: bad indices, shapes and dtypes; odd NumPy layouts and ndarray subclasses; sizes
that cannot be allocated; corrupted cache entries; damaged saved_model folders.

Each case runs an op eagerly, on the graph interpreter and as native code. Every result must equal
the eager (NumPy-checked) one, or be a clean TF error (`tf.errors.OpError` subclasses, or the
TypeError/ValueError TF raises for bad arguments) — never a signal, a hang, a raw NumPy/Python
internal error, or a silently different value.

  python -m tests.reliability.hostile GROUP [CASE ...]   run cases in this process: prints
                                                        `#case NAME`, then `#ok NAME` or
                                                        `#fail NAME: why` for each
"""
import os
import sys
import traceback

import numpy as np

import autograph_jit as tf

GROUPS = {}
OK_ERRORS = (tf.errors.OpError, TypeError, ValueError)


def case(group):
    def register(fn):
        GROUPS.setdefault(group, {})[fn.__name__] = fn
        return fn
    return register


class Bad(AssertionError):
    """A hostile case's check failed."""


def _run(fn, args, mode):
    if mode == "eager":
        return fn(*args)
    return tf.function(fn, backend="eager" if mode == "interpreter" else "cpu",
                       autograph=False)(*args)


def _arrays(res):
    return [np.asarray(r) for r in tf.nest.flatten(res)]


def agree(fn, *args, want=None, modes=("eager", "interpreter", "cpu")):
    """fn(*args) in each mode: equal to `want` (NumPy arrays, when given) and to eager, or a clean
    TF error in every mode where eager raised one. Returns the eager outcome."""
    outcome = {}
    for mode in modes:
        try:
            outcome[mode] = ("ok", _arrays(_run(fn, args, mode)))
        except OK_ERRORS as e:
            outcome[mode] = ("error", e)
        except Exception as e:  # noqa: BLE001 - anything else is the finding
            raise Bad(f"{mode}: raw {type(e).__module__}.{type(e).__name__}: {e}") from e
    base = outcome[modes[0]]
    if want is not None and base[0] == "ok":
        _same(base[1], [np.asarray(w) for w in tf.nest.flatten(want)], f"{modes[0]} vs NumPy")
    for mode in modes[1:]:
        got = outcome[mode]
        if base[0] == "error" and got[0] == "ok":
            raise Bad(f"{mode} returned {got[1]!r} where {modes[0]} raised {base[1]!r}")
        if base[0] == "ok" and got[0] == "ok":
            _same(got[1], base[1], f"{mode} vs {modes[0]}")
    return base


def _same(got, want, what):
    if len(got) != len(want):
        raise Bad(f"{what}: {len(got)} vs {len(want)} results")
    for g, w in zip(got, want):
        if g.shape != w.shape or not np.array_equal(g, w, equal_nan=g.dtype.kind == "f"):
            raise Bad(f"{what}: {g!r} != {w!r}")


def raises(fn, *args, modes=("eager", "interpreter", "cpu"), types=OK_ERRORS):
    """fn(*args) must raise one of `types` in every mode."""
    for mode in modes:
        try:
            res = _run(fn, args, mode)
        except types:
            continue
        except Exception as e:  # noqa: BLE001
            raise Bad(f"{mode}: {type(e).__module__}.{type(e).__name__} instead of "
                      f"{[t.__name__ for t in types]}: {e}") from e
        raise Bad(f"{mode}: returned {_arrays(res)!r} instead of raising")


def main(argv):
    from . import hostile_cases  # registers the cases (in the imported module, not __main__)
    group, names = argv[0], argv[1:]
    cases = hostile_cases.GROUPS[group]
    for name in names or list(cases):
        print(f"#case {name}", flush=True)
        try:
            cases[name]()
        except Exception as e:  # noqa: BLE001 - reported to the parent
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            print(f"#fail {name}: {detail[:1500]}".replace("\n", " | "), flush=True)
        else:
            print(f"#ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AUTOGRAPH_JIT_CACHE", "1")
    sys.exit(main(sys.argv[1:]))
