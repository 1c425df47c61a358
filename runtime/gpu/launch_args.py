"""Kernel launch arguments: checking grid and block shapes and packing parameters.

Both devices take the arguments of `LoadedModule.launch` the same way: a `DeviceBuffer` (its
device address, 8 bytes) or a NumPy scalar of a fixed width (np.int32, np.int64, np.float32,
np.float64; also np.uint32/np.uint64). Python ints and floats are refused: their width on the
device would be a guess. `pack` returns the parameter array cuLaunchKernel takes
(`kernelParams`: one pointer per argument, to its value), which the emulator's trampoline reads
the same way.
"""
import ctypes

import numpy as np

from autograph_jit.errors import InvalidArgumentError

_CTYPES = {np.dtype(np.int32): ctypes.c_int32, np.dtype(np.int64): ctypes.c_int64,
           np.dtype(np.uint32): ctypes.c_uint32, np.dtype(np.uint64): ctypes.c_uint64,
           np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}
# the LLVM IR parameter type each argument kind matches
IR_TYPE = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64", np.dtype(np.uint32): "i32",
           np.dtype(np.uint64): "i64", np.dtype(np.float32): "float",
           np.dtype(np.float64): "double"}

MAX_THREADS_PER_BLOCK = 1024
MAX_BLOCK = (1024, 1024, 64)
MAX_GRID = (2 ** 31 - 1, 65535, 65535)


def dims(value, what, limits):
    """`value` (an int or a tuple of 1 to 3 ints) as a 3-tuple, checked against `limits`.

    Example: dims((7, 32), "grid", MAX_GRID) == (7, 32, 1)."""
    if isinstance(value, (int, np.integer)):
        value = (value,)
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        raise InvalidArgumentError(f"kernel launch: {what} must be an int or a tuple of up to "
                                   f"3 ints, got {value!r}") from None
    if not 1 <= len(out) <= 3:
        raise InvalidArgumentError(f"kernel launch: {what} must have 1 to 3 dimensions, got "
                                   f"{value!r}")
    out = out + (1,) * (3 - len(out))
    for axis, (v, hi) in enumerate(zip(out, limits)):
        if not 1 <= v <= hi:
            raise InvalidArgumentError(f"kernel launch: {what}[{axis}] = {v} is outside "
                                       f"[1, {hi}]")
    return out


def check_block(block):
    """The block as a 3-tuple; at most MAX_THREADS_PER_BLOCK threads in all."""
    out = dims(block, "block", MAX_BLOCK)
    n = out[0] * out[1] * out[2]
    if n > MAX_THREADS_PER_BLOCK:
        raise InvalidArgumentError(f"kernel launch: block {out} has {n} threads; a block has "
                                   f"at most {MAX_THREADS_PER_BLOCK}")
    return out


def kind_of(arg, index, kernel):
    """'ptr' for a device buffer, else the scalar's NumPy dtype; refuses anything else."""
    if hasattr(arg, "ptr") and hasattr(arg, "nbytes"):
        if getattr(arg, "freed", False):
            raise InvalidArgumentError(f"kernel {kernel}: argument {index} is a freed device "
                                       "buffer")
        return "ptr"
    if isinstance(arg, np.generic) and arg.dtype in _CTYPES:
        return arg.dtype
    raise InvalidArgumentError(
        f"kernel {kernel}: argument {index} is {type(arg).__name__} {arg!r}; pass a "
        "DeviceBuffer or a NumPy scalar of a fixed width (np.int32, np.int64, np.float32, "
        "np.float64)")


def pack(args, kernel):
    """(kernelParams array, the ctypes values it points to: keep them alive during the launch)."""
    values = []
    for i, arg in enumerate(args):
        kind = kind_of(arg, i, kernel)
        if kind == "ptr":
            values.append(ctypes.c_uint64(arg.ptr))
        else:
            values.append(_CTYPES[kind](arg.item()))
    params = (ctypes.c_void_p * max(1, len(values)))()
    for i, v in enumerate(values):
        params[i] = ctypes.cast(ctypes.pointer(v), ctypes.c_void_p)
    return params, values


def size_of(arg):
    """Bytes the argument takes in the kernel's parameter space."""
    return 8 if hasattr(arg, "ptr") else arg.dtype.itemsize
