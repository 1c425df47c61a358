"""When a graph gets another compiled shape variant, and when a new input shape runs on the
interpreter instead.

The CPU backend compiles one executable per tuple of input (and variable) shapes, so loops get
constant trip counts and shapes fold. Compiling costs tens to hundreds of milliseconds, so a
stream of ever-new shapes (a boolean_mask whose count varies per call, a loop that stops after
a data-dependent number of steps) must not compile on every call, while a few recurring shapes
(a smaller last batch, bucketed sequence lengths) should all end up compiled:
- the first EAGER_VARIANTS distinct shapes compile on their first call;
- past that, a shape compiles on its RECURRENCE-th call and runs on the interpreter until then
  (so one-off shapes never pay for a compile);
- at most MAX_VARIANTS shapes compile per graph; later new shapes stay on the interpreter.
"""
from collections import OrderedDict

EAGER_VARIANTS = 8
RECURRENCE = 3
MAX_VARIANTS = 32
_REMEMBERED = 1024  # interpreted shapes whose calls are counted (least recent forgotten)


class VariantPolicy:
    def __init__(self):
        self._calls = OrderedDict()  # shape key -> calls that ran on the interpreter

    def should_compile(self, key, compiled):
        """True when a call with shape key `key` (not compiled yet) should compile it, given
        `compiled` variants so far; False: run this call on the interpreter."""
        if compiled < EAGER_VARIANTS:
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
        return (f"more than {EAGER_VARIANTS} distinct input shapes: a further shape runs on the "
                f"interpreter until its {_ordinal(RECURRENCE)} call, then compiles (at most "
                f"{MAX_VARIANTS} compiled shapes); declare fixed shapes, or pad, to stay compiled")


def _ordinal(n):
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")
