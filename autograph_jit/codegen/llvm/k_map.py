"""Map kernels: one loop nest over an output shape computing each element from broadcast inputs.

Used for elementwise ops, elementwise fusion nodes (the whole body evaluated per element, one
loop), casts and strided copies. Adjacent dimensions that are contiguous for every operand are
merged, so a same-shape elementwise chain is a single flat loop LLVM vectorizes.
"""
from .emit import Kernel, View, collapse
from .scalar import ScalarEmitter, emit_scalar


def emit_map(lw, name, outs, ins, compute, annotation="", location="", heavy=False):
    """outs: output Views (same shape); ins: input Views broadcastable to it.
    compute(s, values) -> list of output register values. heavy: compute calls transcendental
    functions (tens of instructions an element), so threads pay off on smaller maps."""
    shape = outs[0].shape
    strides = [o.strides for o in outs] + [v.broadcast_strides(shape) for v in ins]
    cshape, cstrides = collapse(shape, strides)
    k = Kernel(lw.module, lw.fresh_name(name), len(outs) + len(ins), annotation)
    s = ScalarEmitter(k, lw.errors, location)
    s.math = lw.math_provider

    def body(idx):
        vals = []
        for j, v in enumerate(ins):
            st = cstrides[len(outs) + j]
            vals.append(k.load(k.ptrs[len(outs) + j], v.dtype, k.linear(0, st, idx)))
        results = compute(s, vals)
        for j, o in enumerate(outs):
            k.store(results[j], k.ptrs[j], o.dtype, k.linear(0, cstrides[j], idx))
    size = 1
    for d in shape:
        size *= d
    if size and _parallel_ok(outs, ins, size, cshape, heavy):
        _emit_parallel(lw, k, cshape, len(outs) + len(ins), body,
                       HEAVY_MIN_CHUNK if heavy else None)
    elif size:
        k.loops.nest(cshape, body)
    lw.call_kernel(k, list(outs) + list(ins))


PARALLEL_MIN = 1 << 17  # elements: below this one core finishes before threads get going
# maps calling exp/tanh/... cost ~5 ns an element: a thread (~20 us to start) pays off sooner
HEAVY_PARALLEL_MIN = 1 << 16
HEAVY_MIN_CHUNK = 1 << 14
HEAVY_OPS = frozenset(("exp", "log", "log1p", "expm1", "tanh", "sigmoid", "softplus", "erf",
                       "sin", "cos", "tan", "pow", "atan", "atan2", "asin", "acos", "sinh",
                       "cosh", "asinh", "acosh", "atanh", "erfc", "lgamma", "digamma"))


def _parallel_ok(outs, ins, size, cshape, heavy=False):
    """Big float maps split across cores (float ops never take an error exit)."""
    return (size >= (HEAVY_PARALLEL_MIN if heavy else PARALLEL_MIN)
            and len(cshape) >= 1 and cshape[0] >= 2
            and all(v.dtype.is_floating for v in list(outs) + list(ins)))


def _emit_parallel(lw, k, cshape, n_ptrs, body, min_chunk=None):
    """Outline the loop nest into chunk(ctx, begin, end) over the outer dimension and hand it
    to ag_parallel_for (codegen/llvm/parallel.py) with the kernel's pointers as ctx."""
    from llvmlite import ir
    from . import parallel
    from .emit import I64, PTR, Loops, i64
    try:
        parallel.install()
    except Exception:  # no threads on this platform: stay serial
        k.loops.nest(cshape, body)
        return
    module = k.fn.module
    chunk = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]),
                        name=k.fn.name + "_chunk")
    chunk.linkage = "internal"
    # the loop lives in <kernel>_rows(ptr noalias..., begin, end): pointers loaded from ctx carry
    # no aliasing facts, so LLVM would re-load broadcast scalars every element and version the
    # vector loop behind run-time overlap checks
    rows = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * n_ptrs + [I64, I64]),
                       name=k.fn.name + "_rows")
    rows.linkage = "internal"
    for a in rows.args[:n_ptrs]:
        a.add_attribute("noalias")
    ctx_b = ir.IRBuilder(chunk.append_basic_block("entry"))
    ctx, c_begin, c_end = chunk.args
    loaded = [ctx_b.load(ctx_b.gep(ctx, [i64(j)], source_etype=PTR), typ=PTR)
              for j in range(n_ptrs)]
    ctx_b.call(rows, loaded + [c_begin, c_end])
    ctx_b.ret_void()
    ptrs, (begin, end) = list(rows.args[:n_ptrs]), rows.args[n_ptrs:]
    outer_b = k.b
    cb = ir.IRBuilder(rows.append_basic_block("entry"))
    saved = (k.b, k.loops, k.ptrs)
    k.b, k.loops, k.ptrs = cb, Loops(cb), ptrs
    inner = cshape[1:]

    def row(j):
        i = cb.add(begin, j)
        k.loops.nest(inner, lambda idx: body([i] + idx), name="p")
    k.loops.range(cb.sub(end, begin), row, name="chunk")
    cb.ret_void()
    k.b, k.loops, k.ptrs = saved
    arr = k._ab.alloca(PTR, size=n_ptrs)
    for j, p in enumerate(k.ptrs):
        outer_b.store(p, outer_b.gep(arr, [i64(j)], source_etype=PTR))
    fn = module.globals.get("ag_parallel_for") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64]), name="ag_parallel_for")
    inner_size = 1
    for d in inner:
        inner_size *= d
    min_rows = max(1, (min_chunk or parallel.DEFAULT_MIN_CHUNK) // max(inner_size, 1))
    outer_b.call(fn, [chunk, arr, i64(cshape[0]), i64(min_rows)])


def lower_elementwise(lw, node):
    ins = [lw.view(v) for v in node.data_inputs]
    out = lw.alloc_for(node.outputs[0])
    in_dtypes = [v.dtype for v in ins]

    def compute(s, vals):
        return [emit_scalar(s, node.op.name, in_dtypes, out.dtype, vals, node.attrs)]
    emit_map(lw, node.op.name, [out], ins, compute, lw.annotate(node), lw.where(node),
             heavy=node.op.name in HEAVY_OPS)
    lw.bind(node.outputs[0], out)


def fusion_compute(lw, body, out_values):
    """compute() evaluating a fusion body per element; returns values of `out_values`."""
    def compute(s, vals):
        env = {p.id: x for p, x in zip(body.data_params, vals)}
        for n in body.nodes:
            ins = [env[v.id] for v in n.data_inputs]
            dts = [lw.spec(v).dtype for v in n.data_inputs]
            out_dt = lw.spec(n.outputs[0]).dtype
            if n.op.name == "constant":
                env[n.outputs[0].id] = s.const(out_dt, lw.spec(n.outputs[0]).value)
                continue
            if lw.spec(n.outputs[0]).value is not None and n.op.is_pure:
                env[n.outputs[0].id] = s.const(out_dt, lw.spec(n.outputs[0]).value)
                continue
            env[n.outputs[0].id] = emit_scalar(s, n.op.name, dts, out_dt, ins, n.attrs)
        return [env[v.id] for v in out_values]
    return compute


def lower_fusion_elementwise(lw, node):
    body = node.attrs["body"]
    ins = [lw.view(v) for v in node.data_inputs]
    outs = [lw.alloc_for(v) for v in node.data_outputs]
    compute = fusion_compute(lw, body, body.data_results)
    label = node.attrs.get("label", "fusion")
    emit_map(lw, "fusion", outs, ins, compute, lw.annotate(node, label), lw.where(node),
             heavy=any(n.op.name in HEAVY_OPS for n in body.nodes))
    for v, o in zip(node.data_outputs, outs):
        lw.bind(v, o)


def emit_copy(lw, dst, src, annotation="copy"):
    """dst[...] = src (broadcast, strided, or contiguous)."""
    emit_map(lw, "copy", [dst], [src], lambda s, vals: vals, annotation)


def contiguous_copy(lw, src, value=None):
    dst = lw.alloc_spec(src.dtype, src.shape)
    emit_copy(lw, dst, src)
    return dst


def scalar_view_value(lw, view):
    """Load element 0 of `view` in the entry function (as a register value)."""
    b = lw.b
    from .emit import i64, storage_type
    from llvmlite import ir
    p = b.gep(view.ptr, [i64(view.offset)], source_etype=storage_type(view.dtype))
    v = b.load(p, typ=storage_type(view.dtype))
    if view.dtype.name == "bool":
        return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))
    return v


__all__ = ["emit_map", "lower_elementwise", "lower_fusion_elementwise", "emit_copy",
           "fusion_compute", "scalar_view_value"]
