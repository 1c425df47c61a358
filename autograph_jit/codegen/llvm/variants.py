"""When a graph gets another compiled shape variant, and when a new input shape runs on the
interpreter instead.

A graph whose inputs have an unknown leading (batch) dim and whose ops all take a symbolic dim
compiles ONE SymbolicExecutable on its first call (symdim.py) that serves every batch size: no
per-shape variant is compiled for it. (Measured on the 784-128-10 MLP forward and the
elementwise chain, benchmarks/ragged.py: the symbolic executable runs within noise of a
specialized one, so no hot shape gets a specialized variant.)

Otherwise the CPU backend compiles one executable per tuple of input (and variable) shapes, so
loops get constant trip counts and shapes fold:
- a top-level graph compiles every new input shape on its first call (no interpreter cliff; at
  most PLAN_CACHE plans are kept, the oldest forgotten and recompiled if it recurs);
- a segment that follows a data-dependent shape (a boolean_mask whose count varies per call, a
  loop that stops after a data-dependent number of steps: `data_dependent=True`) sees a stream
  of ever-new shapes and must not compile on every call: its first EAGER_VARIANTS distinct
  shapes compile on their first call; past that, a shape compiles on its RECURRENCE-th call and
  runs on the interpreter until then (so one-off shapes never pay for a compile); at most
  MAX_VARIANTS shapes compile; later new shapes stay on the interpreter.
"""
from collections import OrderedDict

EAGER_VARIANTS = 8
RECURRENCE = 3
MAX_VARIANTS = 32
PLAN_CACHE = 256  # plans kept per graph (shape -> executable); the oldest is forgotten
_REMEMBERED = 1024  # interpreted shapes whose calls are counted (least recent forgotten)


class VariantPolicy:
    def __init__(self, data_dependent=False):
        self.data_dependent = data_dependent
        self._calls = OrderedDict()  # shape key -> calls that ran on the interpreter

    def should_compile(self, key, compiled):
        """True when a call with shape key `key` (not compiled yet) should compile it, given
        `compiled` variants so far; False: run this call on the interpreter."""
        if not self.data_dependent or compiled < EAGER_VARIANTS:
            return True
        if compiled >= MAX_VARIANTS:
            return False
        calls = self._calls.pop(key, 0) + 1
        if calls >= RECURRENCE:
            return True
        self._calls[key] = calls
        if len(self._calls) > _REMEMBERED:
            self._calls.popitem(last=False)
        return False

    def reason(self):
        return (f"more than {EAGER_VARIANTS} distinct data-dependent input shapes (after a "
                f"boolean_mask or a shape-changing loop): a further shape runs on the "
                f"interpreter until its {_ordinal(RECURRENCE)} call, then compiles (at most "
                f"{MAX_VARIANTS} compiled shapes); declare fixed shapes, or pad, to stay compiled")


def _ordinal(n):
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")
