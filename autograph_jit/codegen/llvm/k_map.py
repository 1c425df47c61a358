"""Map kernels: one loop nest over an output shape computing each element from broadcast inputs.

Used for elementwise ops, elementwise fusion nodes (the whole body evaluated per element, one
loop), casts and strided copies. Adjacent dimensions that are contiguous for every operand are
merged, so a same-shape elementwise chain is a single flat loop LLVM vectorizes.

Maps calling vector math (exp, tanh, ...) tag their innermost loop with
`!llvm.loop !{!"llvm.loop.interleave.count", i32 4}`: one vector iteration of such a body is a
long dependency chain (range reduction, a Horner polynomial, a division) that fills the
out-of-order window by itself, so the core waits on latency; four independent vectors per
iteration let it overlap them (measured 1.4x on the tanh/sigmoid/exp chain, AVX2 on Zen).

Fusion bodies get sign facts (`body_signs`: x*x >= 0, (-x)*x <= 0, -abs(x) <= 0, ...), and an op
with a cheaper vecmath variant for its argument's sign uses it: exp of an argument that is never
positive calls exp_nonpositive (no overflow clamp, a cheaper exact 2^n scaling; bit-equal).

Shared kernels: several nodes of a function that compute the same thing element by element —
the optimizer's update of each variable (Adam: one fusion over [784,128], [128], [128,10] and
[10] in an MLP's training step) — share one kernel that takes the length per call, where each
would be a flat map on one thread (contiguous operands and broadcast scalars, below the
parallel size): LLVM compiles one function instead of one per node (~5-8 ms of compile CPU
each). Elementwise results do not depend on the loop's length or vectorization, so every node
computes the bits its own kernel would (`body_key` says what counts as the same).
"""
import numpy as np
from llvmlite import ir

from .emit import (Kernel, Loops, SHORT_TRIP, collapse, lanes_short, loop_id, I64, i64, PTR,
                   storage_type)
from .symdim import Dim, numel
from .scalar import ScalarEmitter, emit_scalar, uniform_value
from . import parallel
from .lowering_cache import attr_digest

HEAVY_INTERLEAVE = 4   # vectors in flight per iteration of a vector-math loop


def interleave_loop_id(module, count=HEAVY_INTERLEAVE):
    """The loop-ID node asking LLVM's loop vectorizer for `count` interleaved vectors."""
    return loop_id(module, "llvm.loop.interleave.count", ir.Constant(ir.IntType(32), count))


class _TaggedLoops(Loops):
    """Loops whose innermost loops' back edges carry `interleave_id` as !llvm.loop (a short one
    keeps its own: not vectorized, emit.SHORT_TRIP)."""

    def __init__(self, builder, interleave_id, dim=None):
        super().__init__(builder, dim)
        self.interleave_id = interleave_id
        self._nested = False

    def range(self, n, body, name="i", short=SHORT_TRIP):
        seen = {}

        def tracked(i):
            seen["header"] = self.b.block
            self._nested = False
            body(i)
            seen["inner"] = self._nested
        super().range(n, tracked, name, short)
        self._nested = True
        scalar = isinstance(n, (int, np.integer)) and n <= short  # (not vectorized)
        if "header" in seen and not seen["inner"] and not scalar:
            header, done = seen["header"], self.b.block
            for block in self.b.function.blocks:
                t = block.terminator
                if isinstance(t, ir.ConditionalBranch) and t.operands[1:] == [header, done]:
                    t.set_metadata("llvm.loop", self.interleave_id)


def emit_map(lw, name, outs, ins, compute, annotation="", location="", heavy=False,
             share_key=None):
    """outs: output Views (same shape); ins: input Views broadcastable to it.
    compute(s, values) -> list of output register values. heavy: compute calls transcendental
    functions (tens of instructions an element), so threads pay off on smaller maps.
    share_key: what compute computes, element by element, when several nodes of the function
    compute the same (`body_key`): then one kernel, taking the length per call, serves every
    flat serial map among them (see the module docstring)."""
    shape = outs[0].shape
    strides = [o.strides for o in outs] + [v.broadcast_strides(shape) for v in ins]
    cshape, cstrides = collapse(shape, strides)
    size = numel(shape)
    key = _shared_map_key(share_key, outs, ins, cshape, cstrides, size, heavy, location)
    if key is not None:
        shared = lw.shared_maps
        if key in shared:
            kernel, calls = shared[key]
            lw.call_kernel(kernel, list(outs) + list(ins), ints=[i64(size)])
            shared[key] = (kernel, calls + 1)
            lw.annotations[kernel.fn.name] = _shared_annotation(kernel.annotation, calls + 1)
            return
    k = Kernel(lw.module, lw.fresh_name(name), len(outs) + len(ins), annotation,
               n_ints=0 if key is None else 1)
    if heavy:
        k.loops = _TaggedLoops(k.b, interleave_loop_id(lw.module), k.dim)
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
    if key is not None:  # the length is the kernel's argument: one flat serial loop
        errors_before = len(lw.errors.entries)
        k.loops.range(k.ints[0], lambda i: body([i]), name="d0")
        lw.call_kernel(k, list(outs) + list(ins), ints=[i64(size)])
        if len(lw.errors.entries) == errors_before:  # (error codes name one node: not shared)
            shared[key] = (k, 1)
        return
    if isinstance(size, Dim):  # a run-time size: the static choice below, made per call
        if cshape and _parallel_dtypes(outs, ins):
            big = k.b.icmp_signed(">=", k.dim(size),
                                  ir.Constant(ir.IntType(64), HEAVY_PARALLEL_MIN if heavy
                                              else PARALLEL_MIN))
            with k.b.if_else(big, likely=False) as (parallel, serial):
                with parallel:
                    _emit_parallel(lw, k, cshape, len(outs) + len(ins), body,
                                   HEAVY_MIN_CHUNK if heavy else None)
                with serial:
                    k.loops.nest(cshape, body, short=_inner_short(cshape))
        else:
            k.loops.nest(cshape, body, short=_inner_short(cshape))
    elif size and _parallel_ok(outs, ins, size, cshape, heavy):
        _emit_parallel(lw, k, cshape, len(outs) + len(ins), body,
                       HEAVY_MIN_CHUNK if heavy else None)
    elif size:
        k.loops.nest(cshape, body, short=_inner_short(cshape))
    lw.call_kernel(k, list(outs) + list(ins))


def _inner_short(cshape):
    """The innermost loop's `short` (emit.lanes_short): elements are independent, so a row of
    whole 8-wide vectors (a bias add over 16 channels) vectorizes."""
    return lanes_short(cshape[-1]) if len(cshape) else None


def _shared_annotation(annotation, calls):
    """A shared kernel's llvm_ir() comment: its first node's, marked `×calls` after the op."""
    op, sep, where = annotation.partition("  from ")
    return f"{op} ×{calls}{sep}{where}"


def _shared_map_key(share_key, outs, ins, cshape, cstrides, size, heavy, location):
    """The key a map kernel is shared under, or None when this map gets its own kernel."""
    if share_key is None or isinstance(size, Dim) or not size or len(cshape) != 1:
        return None
    if any(st not in ((0,), (1,)) for st in cstrides) or \
            any(st != (1,) for st in cstrides[:len(outs)]):
        return None
    if _parallel_ok(outs, ins, size, cshape, heavy):
        return None
    return (share_key, tuple(cstrides), tuple(v.dtype.name for v in list(outs) + list(ins)),
            heavy, location)


PARALLEL_MIN = 1 << 17  # elements: below this one core finishes before threads get going
# maps calling exp/tanh/... cost ~4 ns an element: a pool worker (~2 us to hand a job when it
# spins, ~30 us to wake from sleep) pays off sooner
HEAVY_PARALLEL_MIN = 1 << 16
HEAVY_MIN_CHUNK = 1 << 14


def _parallel_ok(outs, ins, size, cshape, heavy=False):
    """Big float maps split across cores (float ops never take an error exit)."""
    return (size >= (HEAVY_PARALLEL_MIN if heavy else PARALLEL_MIN)
            and len(cshape) >= 1 and cshape[0] >= 2 and _parallel_dtypes(outs, ins))


def _parallel_dtypes(outs, ins):
    """Float maps, with bool operands or results too (a ReLU's mask and its gradient's select:
    comparisons and selects never take an error exit either)."""
    vals = list(outs) + list(ins)
    return any(v.dtype.is_floating for v in vals) and \
        all(v.dtype.is_floating or v.dtype.name == "bool" for v in vals)


def _emit_parallel(lw, k, cshape, n_ptrs, body, min_chunk=None):
    """Outline the loop nest into chunk(ctx, begin, end) over the outer dimension and hand it
    to ag_parallel_for (codegen/llvm/parallel.py) with the kernel's pointers as ctx."""
    try:
        parallel.check_available()
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
    k.b, k.ptrs = cb, ptrs
    k.loops = _TaggedLoops(cb, saved[1].interleave_id) if isinstance(saved[1], _TaggedLoops) \
        else Loops(cb)
    inner = cshape[1:]

    def row(j):
        i = cb.add(begin, j)
        k.loops.nest(inner, lambda idx: body([i] + idx), name="p", short=_inner_short(inner))
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
    outer_b.call(fn, [chunk, arr, k.dim(cshape[0]), i64(min_rows)])


def lower_elementwise(lw, node):
    ins = [lw.view(v) for v in node.data_inputs]
    out = lw.alloc_for(node.outputs[0])
    in_dtypes = [v.dtype for v in ins]

    def compute(s, vals):
        return [emit_scalar(s, node.op.name, in_dtypes, out.dtype, vals, node.attrs)]
    emit_map(lw, node.op.name, [out], ins, compute, lw.annotate(node), lw.where(node),
             heavy=node.op.heavy)
    lw.bind(node.outputs[0], out)


# Sign facts for fusion bodies: +1 = every element >= 0 or NaN, -1 = <= 0 or NaN (either way a
# zero may carry either sign), 0 = unknown. Each rule: (input signs, input ids, negated-of map).
_NONNEGATIVE_OPS = ("abs", "square", "sqrt", "exp", "sigmoid", "softplus")


def _mul_sign(sg, ids, neg_of):
    if ids[0] == ids[1]:
        return 1                                  # x*x
    if neg_of.get(ids[0]) == ids[1] or neg_of.get(ids[1]) == ids[0]:
        return -1                                 # (-x)*x
    return sg[0] * sg[1]


_SIGN_RULES = {
    **{op: (lambda sg, ids, neg_of: 1) for op in _NONNEGATIVE_OPS},
    "negative": lambda sg, ids, neg_of: -sg[0],
    "multiply": _mul_sign,
    "add": lambda sg, ids, neg_of: sg[0] if sg[0] == sg[1] else 0,
    "subtract": lambda sg, ids, neg_of: sg[0] if sg[0] == -sg[1] else 0,
    "maximum": lambda sg, ids, neg_of: 1 if 1 in sg else min(sg) if sg[0] == sg[1] else 0,
    "minimum": lambda sg, ids, neg_of: -1 if -1 in sg else max(sg) if sg[0] == sg[1] else 0,
}
# ops with a cheaper vecmath variant for an argument of known sign: (op, sign) -> function
_SIGNED_VARIANTS = {("exp", -1): "exp_nonpositive"}


def _constant_sign(value):
    if value is None:
        return 0
    a = np.asarray(value)
    if a.size == 0 or a.dtype.kind not in "fiu":
        return 0
    return 1 if bool(np.all(a >= 0)) else -1 if bool(np.all(a <= 0)) else 0


def body_signs(lw, body):
    """{value id: +1 / -1 / 0} for a fusion body's params and node results (see _SIGN_RULES):
    enough to see that exp(-x*x) or exp(-abs(x)) never takes a positive argument."""
    sign, neg_of = {}, {}
    for p in body.data_params:
        sign[p.id] = _constant_sign(lw.spec(p).value)
    for n in body.nodes:
        ids = [v.id for v in n.data_inputs]
        out = n.outputs[0].id
        if n.op.name == "negative":
            neg_of[out] = ids[0]
        rule = _SIGN_RULES.get(n.op.name)
        known = _constant_sign(lw.spec(n.outputs[0]).value)
        sign[out] = known or (rule([sign.get(i, 0) for i in ids], ids, neg_of) if rule else 0)
    return sign


def fusion_compute(lw, body, out_values):
    """compute() evaluating a fusion body per element; returns values of `out_values`."""
    signs = body_signs(lw, body)

    def compute(s, vals):
        env = {p.id: x for p, x in zip(body.data_params, vals)}
        for n in body.nodes:
            ins = [env[v.id] for v in n.data_inputs]
            dts = [lw.spec(v).dtype for v in n.data_inputs]
            out_dt = lw.spec(n.outputs[0]).dtype
            if n.op.name == "constant":
                env[n.outputs[0].id] = s.const(out_dt, lw.spec(n.outputs[0]).value)
                continue
            known = lw.spec(n.outputs[0]).value
            if known is not None and n.op.is_pure and uniform_value(known) is not None:
                env[n.outputs[0].id] = s.const(out_dt, known)  # (a value varying by element
                continue                                        # is computed below instead)
            variant = _SIGNED_VARIANTS.get(
                (n.op.name, signs.get(n.data_inputs[0].id, 0) if ins else 0))
            if variant and s.math is not None and dts == [out_dt]:
                got = s.math(s, variant, ins)
                if got is not None:
                    env[n.outputs[0].id] = got
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
             heavy=any(n.op.heavy for n in body.nodes), share_key=_repeated_body_key(lw, node))
    for v, o in zip(node.data_outputs, outs):
        lw.bind(v, o)


def body_key(lw, node):
    """What an elementwise fusion node computes for one element, shapes aside: each body
    node's op, attributes, inputs (by position), dtypes, and the facts fusion_compute reads
    (a uniform known value, an argument's sign). None when an attribute is of a kind this key
    cannot describe exactly (then the node is never shared)."""
    body = node.attrs["body"]
    signs = body_signs(lw, body)
    ref = {p.id: ("p", k) for k, p in enumerate(body.data_params)}
    parts = [tuple(lw.spec(p).dtype.name for p in body.data_params)]
    for j, n in enumerate(body.nodes):
        attrs = []
        for name in sorted(n.attrs):
            value = attr_digest(n.attrs[name])
            if value is None:
                return None
            attrs.append((name, value))
        known = lw.spec(n.outputs[0]).value
        if n.op.name == "constant" or (known is not None and n.op.is_pure):
            known = attr_digest(np.asarray(known))
        else:
            known = None
        try:
            inputs = tuple(ref[v.id] for v in n.data_inputs)
        except KeyError:  # (a value from outside the body: not a closed elementwise body)
            return None
        parts.append((n.op.name, tuple(attrs), inputs,
                      tuple(lw.spec(v).dtype.name for v in n.data_inputs),
                      lw.spec(n.outputs[0]).dtype.name, known,
                      signs.get(n.data_inputs[0].id, 0) if n.data_inputs else 0))
        for k, v in enumerate(n.outputs):
            ref[v.id] = ("n", j, k)
    try:
        parts.append(tuple(ref[v.id] for v in body.data_results))
    except KeyError:
        return None
    return tuple(parts)


def _repeated_body_key(lw, node):
    """`body_key(node)` when more than one top-level elementwise fusion node computes it, else
    None (the top-level keys and their counts are made once per lowering)."""
    if lw.fusion_bodies is None:
        keys = {id(n): body_key(lw, n) for n in lw.graph.nodes
                if n.op.name == "fusion" and n.attrs.get("kind") == "elementwise"}
        counts = {}
        for key in keys.values():
            counts[key] = counts.get(key, 0) + 1
        lw.fusion_bodies = (keys, counts)
    keys, counts = lw.fusion_bodies
    key = keys[id(node)] if id(node) in keys else body_key(lw, node)
    return key if key is not None and counts.get(key, 0) > 1 else None


def emit_copy(lw, dst, src, annotation="copy"):
    """dst[...] = src (broadcast, strided, or contiguous)."""
    emit_map(lw, "copy", [dst], [src], lambda s, vals: vals, annotation)


def scalar_view_value(lw, view):
    """Load element 0 of `view` in the entry function (as a register value)."""
    b = lw.b
    p = b.gep(view.ptr, [i64(view.offset)], source_etype=storage_type(view.dtype))
    v = b.load(p, typ=storage_type(view.dtype))
    if view.dtype.name == "bool":
        return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))
    return v


__all__ = ["emit_map", "lower_elementwise", "lower_fusion_elementwise", "emit_copy",
           "fusion_compute", "scalar_view_value"]
