"""GPU matmul: cuBLAS where it applies and is present, else a generated shared-memory tiled
kernel (TILE x TILE threads a block, one output element a thread), batched (grid z), transposes
and broadcast batch dims through strides, and matmul fusion nodes' elementwise epilogue (bias,
activation) applied to each element before its store.

Each step of the generated kernel's K loop stages a TILE x TILE tile of A and of B in shared
memory (zero-padded at the edges), synchronises, and accumulates TILE products (`contract`:
fma); the sum over K runs in order, one accumulator per element, so results are deterministic.

Which path runs a matmul is decided in k_gemm.py (cuBLAS where it applies and is present,
$AUTOGRAPH_JIT_GPU_MATMUL to force either); cf.explain() names it for every matmul.
"""
from llvmlite import ir

from ..llvm.emit import I64, i64, reg_type
from ..llvm.k_matmul import _mat_views
from ..llvm.scalar import ScalarEmitter, emit_scalar
from .k_gemm import choose, emit_cublas, new_kernels, note
from .kernel import GpuKernel
from .k_map import emit_map, unravel

TILE = 16


def emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=None, annotation=""):
    batch = out.shape[:-2]
    m, n = out.shape[-2], out.shape[-1]
    kdim = a_spec.shape[-2] if ta else a_spec.shape[-1]
    if not out.size:
        return
    nbatch = 1
    for d in batch:
        nbatch *= d
    a_b, a_r, a_c = _mat_views(a, a_spec.shape, ta, batch)
    b_b, b_r, b_c = _mat_views(b_, b_spec.shape, tb, batch)
    ep_ins = epilogue[0] if epilogue else []
    k = GpuKernel(lw.module, lw.fresh_name("matmul"), 3 + len(ep_ins), annotation)
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    s.math = lw.math_provider
    bld = k.b
    dt = out.dtype
    ty = reg_type(dt)
    fl = dt.is_floating
    zero = ir.Constant(ty, 0.0 if fl else 0)
    sa, slot_a = k.shared_array(ty, TILE * TILE, "a")
    sb, slot_b = k.shared_array(ty, TILE * TILE, "b")
    tx = bld.zext(k.sreg("tid", "x"), I64)
    ty_ = bld.zext(k.sreg("tid", "y"), I64)
    col = bld.add(bld.mul(bld.zext(k.sreg("ctaid", "x"), I64), i64(TILE)), tx)
    row = bld.add(bld.mul(bld.zext(k.sreg("ctaid", "y"), I64), i64(TILE)), ty_)
    bz = bld.zext(k.sreg("ctaid", "z"), I64)
    bidx = unravel(bld, bz, batch)
    a_base = k.linear(a.offset, a_b, bidx)
    b_base = k.linear(b_.offset, b_b, bidx)
    acc = k.alloca(ty)
    bld.store(zero, acc)
    row_ok = bld.icmp_signed("<", row, i64(m))
    col_ok = bld.icmp_signed("<", col, i64(n))

    def mul(x, y):
        return bld.fmul(x, y, flags=["contract"]) if fl else bld.mul(x, y)

    def add(x, y):
        return bld.fadd(x, y, flags=["contract"]) if fl else bld.add(x, y)

    def staged(ok, base, r, c, rs, cs, ptr, view):
        lin = bld.add(base, bld.add(bld.mul(r, i64(rs)), bld.mul(c, i64(cs))))
        lin = bld.select(ok, lin, i64(view.offset))
        v = k.load(ptr, dt, lin)
        return bld.select(ok, v, zero)

    def tile(t):
        t0 = bld.mul(t, i64(TILE))
        ka = bld.add(t0, tx)
        ok_a = bld.and_(row_ok, bld.icmp_signed("<", ka, i64(kdim)))
        va = staged(ok_a, a_base, row, ka, a_r, a_c, k.ptrs[1], a)
        bld.store(va, k.shared_ptr(sa, slot_a, bld.add(bld.mul(ty_, i64(TILE)), tx)))
        kb = bld.add(t0, ty_)
        ok_b = bld.and_(col_ok, bld.icmp_signed("<", kb, i64(kdim)))
        vb = staged(ok_b, b_base, kb, col, b_r, b_c, k.ptrs[2], b_)
        bld.store(vb, k.shared_ptr(sb, slot_b, bld.add(bld.mul(ty_, i64(TILE)), tx)))
        k.barrier()

        def inner(kk):
            x = bld.load(k.shared_ptr(sa, slot_a, bld.add(bld.mul(ty_, i64(TILE)), kk)), typ=ty)
            y = bld.load(k.shared_ptr(sb, slot_b, bld.add(bld.mul(kk, i64(TILE)), tx)), typ=ty)
            bld.store(add(bld.load(acc, typ=ty), mul(x, y)), acc)
        k.loops.range(TILE, inner, name="kk")
        k.barrier()
    k.loops.range(-(-kdim // TILE), tile, name="t")
    with bld.if_then(bld.and_(row_ok, col_ok)):
        c = bld.load(acc, typ=ty)
        idx = list(bidx) + [row, col]
        if epilogue:
            vals = []
            for j, v in enumerate(ep_ins):
                st = v.broadcast_strides(out.shape)
                vals.append(k.load(k.ptrs[3 + j], v.dtype, k.linear(v.offset, st, idx)))
            c = epilogue[1](s, c, vals)
        k.store(c, k.ptrs[0], dt, k.linear(out.offset, out.strides, idx))
    grid = (-(-n // TILE), -(-m // TILE), nbatch)
    lw.launch(k, grid=grid, block=(TILE, TILE, 1), views=[out, a, b_] + list(ep_ins))


def lower_matmul(lw, node):
    a_v, b_v = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    a, b_, a_spec, b_spec = lw.view(a_v), lw.view(b_v), lw.spec(a_v), lw.spec(b_v)
    ta, tb = node.attrs["transpose_a"], node.attrs["transpose_b"]
    gemm, why = choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=False)
    n0 = len(lw.steps)
    if gemm is not None:
        emit_cublas(lw, node, gemm, out, a, b_)
        note(lw, node, out, a_spec, ta, f"cuBLAS {gemm.call} ({why})")
    else:
        emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, annotation=lw.annotate(node))
        note(lw, node, out, a_spec, ta, f"generated kernel{new_kernels(lw, n0)} ({why})")
    lw.bind(node.outputs[0], out)


def lower_fusion_matmul(lw, node):
    """Fusion kind "matmul": body = matmul on two params, then elementwise epilogue nodes."""
    body = node.attrs["body"]
    mm = body.nodes[0]
    params = {p.id: k for k, p in enumerate(body.data_params)}
    ins = [lw.view(v) for v in node.data_inputs]
    specs = [lw.spec(v) for v in node.data_inputs]
    a_k, b_k = params[mm.inputs[0].id], params[mm.inputs[1].id]
    out = lw.alloc_for(node.data_outputs[0])
    used = {v.id for n_ in body.nodes[1:] for v in n_.data_inputs}
    ep_params = [p for p in body.data_params if p.id in used]
    ep_ins = [ins[params[p.id]] for p in ep_params]
    mm_out = mm.outputs[0]

    def compute(s, c, vals):
        env = {p.id: v for p, v in zip(ep_params, vals)}
        env[mm_out.id] = c
        for n_ in body.nodes[1:]:
            dts = [lw.spec(v).dtype for v in n_.data_inputs]
            od = lw.spec(n_.outputs[0]).dtype
            if n_.op.name == "constant" or lw.spec(n_.outputs[0]).value is not None:
                env[n_.outputs[0].id] = s.const(od, lw.spec(n_.outputs[0]).value)
                continue
            env[n_.outputs[0].id] = emit_scalar(s, n_.op.name, dts, od,
                                                [env[v.id] for v in n_.data_inputs], n_.attrs)
        return env[body.data_results[0].id]
    a, b_, a_spec, b_spec = ins[a_k], ins[b_k], specs[a_k], specs[b_k]
    ta, tb = mm.attrs["transpose_a"], mm.attrs["transpose_b"]
    annotation = lw.annotate(node, node.attrs.get("label", "matmul"))
    gemm, why = choose(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=True)
    n0 = len(lw.steps)
    if gemm is not None:
        tmp = lw.alloc_spec(out.dtype, out.shape)
        emit_cublas(lw, node, gemm, tmp, a, b_)
        emit_map(lw, "matmul_epilogue", [out], [tmp] + ep_ins,
                 lambda s, vals: [compute(s, vals[0], vals[1:])], annotation, lw.where(node))
        note(lw, node, out, a_spec, ta, f"cuBLAS {gemm.call}, then the epilogue as map "
              f"kernel{new_kernels(lw, n0 + 1)} ({why})")
    else:
        emit_matmul(lw, node, out, a, b_, a_spec, b_spec, ta, tb, epilogue=(ep_ins, compute),
                    annotation=annotation)
        note(lw, node, out, a_spec, ta, f"generated kernel{new_kernels(lw, n0)} with the "
              f"epilogue fused ({why})")
    lw.bind(node.data_outputs[0], out)


__all__ = ["emit_matmul", "lower_matmul", "lower_fusion_matmul", "TILE"]
