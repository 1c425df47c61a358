"""Op specs for the TensorArray ops (tensor_array.py): writes and reads on stacked buffers,
against NumPy row assignment and indexing, with float64 gradient cases."""
import numpy as np

from autograph_jit.ops import tensor_array

from .opspec import ALL_DTYPES, Case, OpSpec, sample

_rng = np.random.default_rng(11)


def _arr(shape, dtype):
    return np.asarray(sample(_rng, shape, dtype))


def _write_ref(buf, index, value, dynamic_size=False):
    out = buf.copy()
    if index >= len(out):
        grown = np.zeros((index + 1,) + value.shape, buf.dtype)
        grown[:len(out)] = out
        out = grown
    out[index] = value
    return out


_write_cases = [Case((_arr((4, 3), dt), i, _arr((3,), dt))) for dt in ALL_DTYPES for i in (0, 3)]
_write_cases += [Case((_arr((2,), np.float64), 1, _arr((), np.float64))),
                 Case((_arr((2, 2), np.float64), 4, _arr((2,), np.float64)),
                      {"dynamic_size": True})]

_read_cases = [Case((_arr((4, 3), dt), i)) for dt in ALL_DTYPES for i in (0, 2)]
_read_cases += [Case((_arr((3,), np.float64), 1))]

SPECS = [
    OpSpec("tensor_array_write",
           fn=lambda b, i, v, **kw: tensor_array.write(b, i, v, **kw), ref=_write_ref,
           cases=_write_cases, tensor_args=(0, 2), grad=True, grad_args=[0, 2],
           grad_cases=[c for c in _write_cases if c.args[0].dtype == np.float64]),
    OpSpec("tensor_array_read", fn=lambda b, i: tensor_array.read(b, i),
           ref=lambda b, i: b[i], cases=_read_cases, tensor_args=(0,), grad=True,
           grad_args=[0], grad_cases=[c for c in _read_cases if c.args[0].dtype == np.float64]),
]
