"""The per-op test table format used by the registry-driven tests.

Each op family has a `specs_<family>.py` module exporting `SPECS`, a list of OpSpec. One OpSpec
exercises one public function; `covers` names the registry ops it reaches (every registered op
must be covered by some spec — `test_every_registered_op_has_a_spec` enforces it).

    OpSpec("add", fn=tf.add, ref=np.add, cases=binary_cases(NUMERIC))

- `fn(*tensors, **kwargs)`: the public call; array args are converted with tf.constant first.
- `ref(*arrays, **kwargs)`: the NumPy reference; its result's dtype must equal the tensor's.
- `cases`: list of Case(args, kwargs). Cover scalars, vectors, broadcasting, empty tensors and
  every supported dtype.
- `grad`: True when the op is differentiable; `grad_cases` (float64) default to the float64
  entries of `cases` that are non-empty. `grad_args`: indices of args to differentiate.
"""
import dataclasses
from typing import Any, Callable

import numpy as np

FLOAT_DTYPES = (np.float16, np.float32, np.float64)
INT_DTYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8)
NUMERIC = FLOAT_DTYPES + INT_DTYPES
ALL_DTYPES = NUMERIC + (np.bool_,)


@dataclasses.dataclass
class Case:
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)

    def __repr__(self):
        shapes = ",".join(f"{np.asarray(a).dtype}{list(np.shape(a))}" if isinstance(
            a, np.ndarray) else repr(a) for a in self.args)
        return f"({shapes}{', ' + repr(self.kwargs) if self.kwargs else ''})"


@dataclasses.dataclass
class OpSpec:
    name: str
    fn: Callable
    ref: Callable
    cases: list
    covers: tuple = ()
    grad: bool = False
    grad_cases: Any = None
    grad_args: Any = None
    rtol: float = 1e-6
    atol: float = 1e-6
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-6
    tensor_args: Any = None  # indices of args converted to tensors (default: ndarray args)
    check_dtype: bool = True

    def __post_init__(self):
        if not self.covers:
            self.covers = (self.name,)

    def gradient_cases(self):
        if not self.grad:
            return []
        if self.grad_cases is not None:
            return self.grad_cases
        out = []
        for c in self.cases:
            arrs = [a for a in c.args if isinstance(a, np.ndarray)]
            if arrs and all(a.dtype == np.float64 for a in arrs) and all(a.size for a in arrs):
                out.append(c)
        return out


def sample(rng, shape, dtype, low=-3.0, high=3.0):
    """Random values of `dtype` in [low, high) (booleans: fair coin)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        lo = max(int(low), np.iinfo(dtype).min)
        hi = min(int(high) + 1, np.iinfo(dtype).max)
        if dtype.kind == "u":
            lo = max(lo, 0)
        return rng.integers(lo, hi, size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


UNARY_SHAPES = [(), (5,), (2, 3), (0,), (2, 0, 3)]
BINARY_SHAPES = [((), ()), ((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((3,), ()),
                 ((0,), (0,)), ((2, 0), (1, 0))]


def unary_cases(dtypes, low=-3.0, high=3.0, seed=0, shapes=UNARY_SHAPES, **kwargs):
    rng = np.random.default_rng(seed)
    return [Case((sample(rng, s, dt, low, high),), dict(kwargs)) for dt in dtypes for s in shapes]


def binary_cases(dtypes, low=-3.0, high=3.0, seed=0, low2=None, high2=None,
                 shapes=BINARY_SHAPES, **kwargs):
    rng = np.random.default_rng(seed)
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2
    return [Case((sample(rng, a, dt, low, high), sample(rng, b, dt, low2, high2)), dict(kwargs))
            for dt in dtypes for a, b in shapes]
