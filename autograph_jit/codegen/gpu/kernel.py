"""GPU kernel functions and the thread-level building blocks every GPU kernel emitter uses.

`GpuKernel` is the adapter that lets the CPU backend's element code (scalar.emit_scalar,
k_map.fusion_compute, the vecmath provider) emit into an NVPTX kernel unchanged: it has the
interface of codegen/llvm/emit.Kernel (`b`, `loops`, `alloca`, `addr`, `linear`, `load`,
`store`, `fail`), but its function is `void @k(ptr noalias ..., ptr err)`, marked a kernel in
`!nvvm.annotations`, and an error exit stores the code into the error record and returns.

Building blocks: the special registers (`tid`, `ntid`, `ctaid`, `nctaid`), a grid-stride loop,
a barrier, warp shuffles (64-bit values as two 32-bit halves) and a deterministic block
reduction (warp shuffles, one shared-memory slot a warp, warp 0 finishes; no atomics).
Launch sizes are in LAUNCH (tests set odd ones).
"""
from llvmlite import ir

from ..llvm.emit import F32, F64, I1, I8, I32, I64, PTR, Kernel, Loops, i32, i64, store_error

SHARED = 3   # NVPTX address space of __shared__ memory
SHARED_POOL = "agj_shared"


def _byte_size(ty):
    if isinstance(ty, ir.IntType):
        return max(ty.width // 8, 1) if ty.width > 1 else 4
    return {"half": 2, "float": 4, "double": 8}[str(ty)]


class LaunchConfig:
    """Threads a block and the most blocks of a grid-stride launch (tests pick odd grids).
    `block` must be a multiple of 32 (the reductions shuffle whole warps)."""

    def __init__(self, block=256, max_blocks=4096, reduce_block=256):
        self.block = block
        self.max_blocks = max_blocks
        self.reduce_block = reduce_block

    def grid_for(self, n):
        return max(1, min(self.max_blocks, -(-int(n) // self.block)))


LAUNCH = LaunchConfig()


def mark_kernel(module, fn):
    """List `fn` in the module's !nvvm.annotations as a kernel entry point."""
    module.add_named_metadata("nvvm.annotations",
                              [fn, ir.MetaDataString(module, "kernel"), ir.Constant(I32, 1)])


class GpuKernel:
    """One kernel entry point `void @name(ptr noalias p0, ..., ptr err)`."""

    addr = Kernel.addr
    linear = Kernel.linear
    load = Kernel.load
    store = Kernel.store

    def __init__(self, module, name, n_ptrs, annotation=""):
        fnty = ir.FunctionType(ir.VoidType(), [PTR] * (n_ptrs + 1))
        self.fn = ir.Function(module, fnty, name=name)
        for a in self.fn.args[:-1]:
            a.add_attribute("noalias")
        self.ptrs = list(self.fn.args[:-1])
        self.err = self.fn.args[-1]
        entry = self.fn.append_basic_block("entry")
        start = self.fn.append_basic_block("start")
        self._ab = ir.IRBuilder(entry)
        self._ab.position_before(self._ab.branch(start))
        self.b = ir.IRBuilder(start)
        self.loops = Loops(self.b)
        self.annotation = annotation
        self._smem_used = 0
        mark_kernel(module, self.fn)

    def alloca(self, ty):
        return self._ab.alloca(ty)

    def finish(self):
        if not self.b.block.is_terminated:
            self.b.ret_void()
        return self.fn

    def fail(self, cond, code, values=()):
        """If `cond` (i1): write code and values into err[0..] and leave the kernel. The first
        error of a call wins (a compare-and-swap on err[0], so a later launch in a
        host-driven loop, or another thread, does not overwrite it; its winner writes the
        values: emit.store_error), as the CPU backend stops at its first error."""
        b = self.b
        with b.if_then(cond, likely=False):
            store_error(b, self.err, code, values, first_wins=True)
            b.ret_void()

    # -- thread indices ------------------------------------------------------------------------
    def sreg(self, reg, axis="x"):
        """%tid/%ntid/%ctaid/%nctaid .x/.y/.z as i32."""
        name = f"llvm.nvvm.read.ptx.sreg.{reg}.{axis}"
        module = self.fn.module
        fn = module.globals.get(name) or ir.Function(module, ir.FunctionType(I32, []), name=name)
        return self.b.call(fn, [])

    def barrier(self):
        module = self.fn.module
        fn = module.globals.get("llvm.nvvm.barrier0") or ir.Function(
            module, ir.FunctionType(ir.VoidType(), []), name="llvm.nvvm.barrier0")
        self.b.call(fn, [])

    def grid_stride(self, n, body, axis="x", per_block=False):
        """for i in range(start, n, step): body(i) (i64). Threads of the whole grid share the
        range (start = ctaid*ntid + tid, step = ntid*nctaid), or with per_block=True blocks do
        (start = ctaid, step = nctaid: every thread of a block sees the same i)."""
        b = self.b
        if per_block:
            start = b.zext(self.sreg("ctaid", axis), I64)
            step = b.zext(self.sreg("nctaid", axis), I64)
        else:
            tid = b.zext(self.sreg("tid", axis), I64)
            ntid = b.zext(self.sreg("ntid", axis), I64)
            start = b.add(b.mul(b.zext(self.sreg("ctaid", axis), I64), ntid), tid)
            step = b.mul(ntid, b.zext(self.sreg("nctaid", axis), I64))
        self.strided_range(start, i64(n) if isinstance(n, int) else n, step, body, "g")

    def strided_range(self, start, n, step, body, name="s"):
        """for i in range(start, n, step): body(i); all i64 values."""
        b = self.b
        pre = b.block
        head = b.append_basic_block(name + ".head")
        loop = b.append_basic_block(name + ".body")
        done = b.append_basic_block(name + ".done")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64, name=name)
        i.add_incoming(start, pre)
        b.cbranch(b.icmp_signed("<", i, n), loop, done)
        b.position_at_end(loop)
        body(i)
        i.add_incoming(b.add(i, step), b.block)
        b.branch(head)
        b.position_at_end(done)

    # -- warps and blocks ----------------------------------------------------------------------
    def shfl_down(self, value, offset):
        """value from lane + offset of this warp (own value past the warp's end)."""
        b = self.b
        ty = value.type
        if ty == F32:
            return self._shfl32(value, offset, "f32")
        if ty in (F64, I64):
            bits = b.bitcast(value, I64) if ty == F64 else value
            lo = self._shfl32(b.trunc(bits, I32), offset, "i32")
            hi = self._shfl32(b.trunc(b.lshr(bits, i64(32)), I32), offset, "i32")
            out = b.or_(b.zext(lo, I64), b.shl(b.zext(hi, I64), i64(32)))
            return b.bitcast(out, F64) if ty == F64 else out
        if ty == I32:
            return self._shfl32(value, offset, "i32")
        width = 16 if ty == ir.HalfType() else ty.width
        bits = b.bitcast(value, ir.IntType(16)) if ty == ir.HalfType() else value
        wide = self._shfl32(b.zext(bits, I32), offset, "i32")
        back = b.trunc(wide, ir.IntType(width))
        return b.bitcast(back, ty) if ty == ir.HalfType() else back

    def _shfl32(self, value, offset, suffix):
        module = self.fn.module
        name = f"llvm.nvvm.shfl.sync.down.{suffix}"
        ty = value.type
        fn = module.globals.get(name) or ir.Function(
            module, ir.FunctionType(ty, [I32, ty, I32, I32]), name=name)
        return self.b.call(fn, [i32(-1), value, i32(offset), i32(0x1f)])

    def shared_array(self, ty, count, base="smem"):
        """`count` elements of `ty` in shared memory, a slice of the module's one pool
        (`@agj_shared`, sized for the kernel that needs most: static shared memory is per
        kernel, so every kernel's slices start at 0)."""
        module = self.fn.module
        pool = module.globals.get(SHARED_POOL)
        if pool is None:
            pool = ir.GlobalVariable(module, ir.ArrayType(I8, 16), name=SHARED_POOL,
                                     addrspace=SHARED)
            pool.type = ir.PointerType(addrspace=SHARED)   # an opaque `ptr addrspace(3)`
            pool.linkage = "internal"
            pool.align = 16
            pool.initializer = ir.Constant(ir.ArrayType(I8, 16), ir.Undefined)
        size = _byte_size(ty) * count
        offset = self._smem_used
        self._smem_used += (size + 15) // 16 * 16
        need = max(self._smem_used, pool.value_type.count)
        if need != pool.value_type.count:
            pool.value_type = ir.ArrayType(I8, need)
            pool.initializer = ir.Constant(pool.value_type, ir.Undefined)
        return pool, (offset, ty)

    def shared_ptr(self, pool, slot, index):
        offset, ty = slot
        base = self.b.gep(pool, [i64(offset)], inbounds=True, source_etype=I8)
        return self.b.gep(base, [index if index.type == I64 else self.b.zext(index, I64)],
                          inbounds=True, source_etype=ty)

    def block_reduce(self, value, combine, identity):
        """Every thread's `value` combined in a fixed order (deterministic); the result is
        valid in thread 0. Needs every thread of the block to call it (blockDim % 32 == 0)."""
        b = self.b
        for off in (16, 8, 4, 2, 1):
            value = combine(value, self.shfl_down(value, off))
        gv, arr = self.shared_array(value.type if value.type != I1 else I32, 32, "red")
        store_ty = arr[1]
        tid = self.sreg("tid")
        lane = b.and_(tid, i32(31))
        warp = b.lshr(tid, i32(5))
        with b.if_then(b.icmp_unsigned("==", lane, i32(0))):
            v = b.zext(value, I32) if value.type == I1 else value
            b.store(v, self.shared_ptr(gv, arr, warp))
        self.barrier()
        nwarps = b.lshr(self.sreg("ntid"), i32(5))
        slot = self.alloca(store_ty)
        b.store(identity if value.type != I1 else b.zext(identity, I32), slot)
        with b.if_then(b.icmp_unsigned("<", lane, nwarps)):
            b.store(b.load(self.shared_ptr(gv, arr, lane), typ=store_ty), slot)
        part = b.load(slot, typ=store_ty)
        if value.type == I1:
            part = b.trunc(part, I1)
        out = self.alloca(part.type)
        b.store(part, out)
        with b.if_then(b.icmp_unsigned("==", warp, i32(0))):
            v = b.load(out, typ=part.type)
            for off in (16, 8, 4, 2, 1):
                v = combine(v, self.shfl_down(v, off))
            b.store(v, out)
        self.barrier()   # the shared slots may be reused by the next reduction
        return b.load(out, typ=part.type)


__all__ = ["GpuKernel", "LAUNCH", "LaunchConfig", "mark_kernel", "SHARED"]
