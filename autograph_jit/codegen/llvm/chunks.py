"""Splitting one kernel's outer loop across cores: the loop's body goes into a chunk function
that `ag_parallel_for` (parallel.py) runs on slices of the trip count. Used by the convolution
and pooling kernels (images across cores) and by k_matmul (thin products cut into slices).
"""
from llvmlite import ir

from . import parallel
from .emit import I64, PTR, Loops, i64


def parallel_chunks(k, n, min_chunk, body):
    """body(begin, end) over [0, n), split across cores by ag_parallel_for (parallel.py) when
    it is available; the chunk function sees the kernel's pointers through a context array.

    Args:
      k: the Kernel; inside `body`, k.b, k.loops and k.ptrs are the chunk function's.
      n: the trip count (an int or a symbolic Dim: symdim.py).
      min_chunk: the fewest iterations worth a thread.
      body: body(begin, end), i64 values, emits the loop over [begin, end).

    Example (k_pool.py: images split across cores):
        parallel_chunks(k, g.n, 1, lambda begin, end: k.loops.range(b.sub(end, begin), one))
    """
    count = k.dim(n)  # (an int or a symbolic Dim: symdim.py)
    try:
        parallel.check_available()
    except Exception:  # no threads on this platform: stay serial
        body(i64(0), count)
        return
    module = k.fn.module
    chunk = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]),
                        name=f"{k.fn.name}_chunk{len(module.globals)}")
    chunk.linkage = "internal"
    ctx, begin, end = chunk.args
    cb = ir.IRBuilder(chunk.append_basic_block("entry"))
    n_ptrs = len(k.ptrs)
    ptrs = [cb.load(cb.gep(ctx, [i64(j)], source_etype=PTR), typ=PTR) for j in range(n_ptrs)]
    saved = (k.b, k.loops, k.ptrs)
    k.b, k.loops, k.ptrs = cb, Loops(cb), ptrs
    try:
        body(begin, end)
        cb.ret_void()
    finally:
        k.b, k.loops, k.ptrs = saved
    arr = k.alloca(ir.ArrayType(PTR, n_ptrs))
    for j, p in enumerate(k.ptrs):
        k.b.store(p, k.b.gep(arr, [i64(0), i64(j)]))
    fn = module.globals.get("ag_parallel_for") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64]), name="ag_parallel_for")
    k.b.call(fn, [chunk, arr, count, i64(min_chunk)])
