"""Timing and rows: run candidates round-robin, take medians, check results, judge targets.

A *candidate* is a zero-argument callable for one column (our eager mode, our graph, NumPy, a
peer) that does the whole workload once and returns its result. `compare` calls each once (the
first call, kept as the value to check), calibrates how many calls make a timed round, then runs
rounds in turn — eager, graph, peers, eager, graph, ... — so every ratio comes from one run under
the same machine load, and reports the median time per call.
"""
import gc
import math
import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from . import peers as _peers


@dataclass(frozen=True)
class Settings:
    repeats: int        # timed rounds per candidate (median taken), fewer when one call is slow
    min_round_s: float  # a round repeats the call until it lasts at least this long
    budget_s: float     # per candidate: rounds are cut (to min_rounds) past this much time
    min_rounds: int


FULL = Settings(repeats=7, min_round_s=0.05, budget_s=2.0, min_rounds=3)
QUICK = Settings(repeats=5, min_round_s=0.02, budget_s=0.6, min_rounds=1)
TINY = Settings(repeats=2, min_round_s=0.0, budget_s=0.0, min_rounds=2)  # smoke tests: not speed


@dataclass
class Measurement:
    seconds: float = None   # median time of one call; None when it did not run
    value: object = None    # the first call's result, as NumPy (for the equality check)
    first_s: float = None   # the first call alone (includes tracing/compiling for graphs)
    error: str = ""         # why it did not run, or "≠ eager" when its result differs


@dataclass(frozen=True)
class Target:
    """The issue's goal for this row: graph time ≤ `bound` × the `column`'s time; with column
    None, graph time ≤ `bound` seconds."""
    column: str
    bound: float

    def text(self, labels=None):
        if self.column is None:
            return f"≤{self.bound:g} s"
        return f"≤{self.bound:g}× {(labels or {}).get(self.column, self.column)}"

    def judge(self, row):
        graph = row.cells.get(row.base)
        if graph is None or graph.seconds is None:
            return None
        if self.column is None:
            return graph.seconds <= self.bound
        other = row.cells.get(self.column)
        if other is None or other.seconds is None or other.error:
            return None
        return graph.seconds <= self.bound * other.seconds


@dataclass
class Row:
    workload: str
    size: str
    cells: dict                                 # column -> Measurement
    targets: tuple = ()
    equal: bool = None                          # graph result equals eager (None: not compared)
    notes: list = field(default_factory=list)   # backend fallbacks, stage times, skipped peers
    base: str = "graph"                         # the column ratios and targets divide (eager rows:
    #                                             "eager", see eager_ops.py)

    def ratio(self, column):
        """Our graph time (the `base` column's) / this column's time (below 1: ours is faster)."""
        graph, other = self.cells.get(self.base), self.cells.get(column)
        if graph is None or other is None or graph.seconds is None or not other.seconds:
            return None
        return graph.seconds / other.seconds


def as_numpy(x):
    """Any framework's result (tensor, array, scalar, or nested list/tuple of them) as NumPy."""
    if isinstance(x, (list, tuple)):
        return [as_numpy(v) for v in x]
    if hasattr(x, "detach"):          # torch
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):           # autograph_jit, TensorFlow
        return np.asarray(x.numpy())
    return np.asarray(x)


def close(a, b, rtol, atol):
    """Equal within rtol, and atol scaled by the reference's magnitude (exact for integers)."""
    if isinstance(a, list) or isinstance(b, list):
        a = a if isinstance(a, list) else [a]
        b = b if isinstance(b, list) else [b]
        return len(a) == len(b) and all(close(x, y, rtol, atol) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return bool(np.array_equal(a, b))
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol,
                            atol=atol * max(scale, 1.0)))


# Columns whose first call is an ordinary call (no tracing or compiling).
UNCOMPILED = ("eager", "numpy", "torch")


# The clock: wall time; with AUTOGRAPH_JIT_BENCH_CLOCK=process, this process's CPU time (every
# thread's): on a loaded machine it leaves out the time spent waiting for a core (use it with
# --threads 1, where no library's pool adds CPU time of other threads).
CLOCK_VAR = "AUTOGRAPH_JIT_BENCH_CLOCK"
_clock = time.process_time if os.environ.get(CLOCK_VAR) == "process" else time.perf_counter


def _one(fn):
    t0 = _clock()
    out = fn()
    return _clock() - t0, out


def _round(fn, calls):
    """Seconds per call over `calls` calls, with the cycle collector paused (as timeit does): a
    full collection costs ~0.4 s once TensorFlow, JAX and torch are loaded."""
    gc.disable()
    try:
        t0 = _clock()
        for _ in range(calls):
            fn()
        return (_clock() - t0) / calls
    finally:
        gc.enable()


def measure(candidates, settings):
    """{column: callable} -> {column: Measurement}, timed round-robin (see the module doc)."""
    out, plan = {}, {}
    gc.freeze()   # what exists now (libraries, inputs) is never scanned again by collections
    for name, fn in candidates.items():
        try:
            first, value = _one(fn)
            # A slow call that compiles nothing on its first run is its own calibration.
            slow = name in UNCOMPILED and first >= settings.budget_s
            # (the faster of the second and third calls: a second call may still wait for a
            # one-time setup, our native warm call's, which the first call leaves running)
            one = first if slow else min(_one(fn)[0], _one(fn)[0])
        except Exception as e:  # a peer that cannot run this workload is skipped, not fatal
            out[name] = Measurement(error=f"{type(e).__name__}: {str(e).splitlines()[0][:80]}")
            continue
        calls = max(1, math.ceil(settings.min_round_s / max(one, 1e-9)))
        affordable = int(settings.budget_s / max(calls * one, 1e-9))
        rounds = max(settings.min_rounds, min(settings.repeats, affordable))
        out[name] = Measurement(value=as_numpy(value), first_s=first)
        # A slow call (one per round) already made its first round while calibrating.
        plan[name] = (fn, calls, rounds, [one] if calls == 1 else [])
    for _ in range(max((p[2] for p in plan.values()), default=0)):
        for name, (fn, calls, rounds, times) in plan.items():
            if len(times) < rounds:
                times.append(_round(fn, calls))
    for name, (_, _, _, times) in plan.items():
        out[name].seconds = statistics.median(times)
    return out


def compare(workload, size, candidates, settings, targets=(), rtol=1e-4, atol=1e-5):
    """Measure the candidates into one Row; each result is checked against our eager one."""
    cells = measure(candidates, settings)
    row = Row(workload, size, cells, tuple(targets))
    ref = cells.get("eager")
    if ref is not None and ref.value is not None:
        for name, cell in cells.items():
            if name != "eager" and cell.value is not None and not close(cell.value, ref.value,
                                                                        rtol, atol):
                cell.error = "≠ eager"
        graph = cells.get("graph")
        if graph is not None and graph.value is not None:
            row.equal = not graph.error
    return row


def peer_candidates(builders, enabled, notes):
    """{peer: builder(module) -> callable} for the enabled, importable peers. A builder that
    raises (an op the peer lacks, a compile failure) adds a note instead of a column value."""
    out = {}
    for name in _peers.ORDER:
        if name not in enabled or name not in builders:
            continue
        module = _peers.load(name)
        if module is None:
            continue
        try:
            out[name] = builders[name](module)
        except Exception as e:
            notes.append(f"{_peers.LABELS[name]} skipped: {type(e).__name__}: "
                         f"{str(e).splitlines()[0][:80]}")
    return out


def backend_notes(function, *args):
    """What our backend says about the graph it runs (fallbacks and why), if it says anything."""
    try:
        cf = function.get_concrete_function(*args)
    except Exception as e:
        return [f"get_concrete_function failed: {type(e).__name__}: {e}"]
    return [str(line) for line in (getattr(cf, "_backend_report", None) or ())]
