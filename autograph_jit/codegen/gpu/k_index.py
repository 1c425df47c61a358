"""GPU sliced writes and TensorArray rows: `strided_slice_update`, `strided_slice_grad`,
`tensor_array_read`, `tensor_array_write` and `strided_slice` with run-time indices are the CPU
backend's lowerings
(codegen/llvm/k_index.py: run-time indices checked with eager's messages, run-time slice
bounds clamped as slice.indices()) rebound to GPU kernels (reuse.py): one thread per element
of the written region or row.

strided_slice_grad lowers on the GPU for every spec the CPU backend lowers: static specs (any
steps), run-time indices, run-time slice bounds with a static step (the gradient of `x[i:j]`:
the forward slice's data-dependent shape cuts the function into two GPU segments around it,
segments.py, so the gradient's kernel runs on the GPU), new axes and ellipses
(tests/codegen/gpu/test_gpu_strided_slice_grad.py). A run-time step has no kernel on either
backend: the op is a reported host step.

TensorArrays whose buffer has a static shape (a `size=` array, or a `dynamic_size` one whose
writes are at known indices) live in device buffers; `cond`/`while_loop` around them are
host-driven (control.py). An array that grows by a run-time amount (the CPU backend's
growable record, codegen/llvm/k_grow.py) is a GrowArray grown by the host between kernels
(codegen/gpu/k_grow.py; `_or_grown` below sends its reads and writes there).
"""
from ..llvm import k_array as _cpu_array
from ..llvm import k_index as _cpu
from . import k_grow
from .lower import lower_view_gpu
from .reuse import ZeroOffsetLowerer, rebind

_REBOUND = rebind(_cpu, ["lower_strided_slice_update", "lower_strided_slice_grad",
                         "lower_tensor_array_read", "lower_tensor_array_write"])

_DYNAMIC_INDEX = rebind(_cpu_array, ["lower_dynamic_index"])["lower_dynamic_index"]


def lower_strided_slice(lw, node):
    """A view (strides) when every bound is known; `x[i]` with run-time indices i (AutoGraph's
    `for row in tensor`, `x[i]` in a loop): the CPU lowering's checked strided copy."""
    if all(lw.spec(v).value is not None for v in node.data_inputs[1:]):
        return lower_view_gpu(lw, node)
    zl = ZeroOffsetLowerer(lw)
    return _DYNAMIC_INDEX(zl, node, zl.view(node.data_inputs[0]))


def _or_grown(fn, grown):
    """`grown` (k_grow.py) for a read or write of a TensorArray grown at run time."""
    def lower(lw, node):
        if any(lw.spec(v) is not None and lw.spec(v).growable
               for v in list(node.data_inputs) + list(node.data_outputs)):
            return grown(lw, node)
        return fn(lw, node)
    lower.__name__ = fn.__name__
    lower.__doc__ = fn.__doc__
    return lower


LOWERINGS = {
    "strided_slice": lower_strided_slice,
    "strided_slice_update": _REBOUND["lower_strided_slice_update"],
    "strided_slice_grad": _REBOUND["lower_strided_slice_grad"],
    "tensor_array_read": _or_grown(_REBOUND["lower_tensor_array_read"],
                                   k_grow.lower_tensor_array_read),
    "tensor_array_write": _or_grown(_REBOUND["lower_tensor_array_write"],
                                    k_grow.lower_tensor_array_write),
}

__all__ = ["LOWERINGS"]
