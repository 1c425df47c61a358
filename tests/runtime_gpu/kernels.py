"""Hand-written NVPTX-flavoured LLVM IR kernels for the GPU runtime tests (the kind of IR the
GPU code generator emits: sreg intrinsics, addrspace(1) pointers, addrspace(3) shared memory,
barriers, warp shuffles, !nvvm.annotations)."""

HEAD = '''target triple = "nvptx64-nvidia-cuda"
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
'''


def _annotate(*names):
    nodes = "".join(f'!{i} = !{{ptr @{n}, !"kernel", i32 1}}\n' for i, n in enumerate(names))
    refs = ", ".join(f"!{i}" for i in range(len(names)))
    return f"!nvvm.annotations = !{{{refs}}}\n" + nodes


def _start(first="%nt"):
    """Entry computing %i0 = ctaid * <first> + tid and %stride = ntid * nctaid."""
    return f'''entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %nt = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %c = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %nc = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %cb = mul i32 %c, {first}
  %i0 = add i32 %cb, %t
  %stride = mul i32 %nt, %nc
'''


def grid_stride_add(swap=False):
    """y[i] += a * x[i] over a grid-stride loop; swap=True plants the bug of GPU.md: the start
    index uses nctaid where ntid belongs (ptxas accepts it; only running it shows it)."""
    return HEAD + '''
define void @axpy(ptr addrspace(1) noalias %x, ptr addrspace(1) noalias %y, float %a, i32 %n) {
''' + _start("%nc" if swap else "%nt") + '''  br label %loop
loop:
  %i = phi i32 [%i0, %entry], [%inext, %body]
  %more = icmp slt i32 %i, %n
  br i1 %more, label %body, label %done
body:
  %i64 = sext i32 %i to i64
  %px = getelementptr float, ptr addrspace(1) %x, i64 %i64
  %py = getelementptr float, ptr addrspace(1) %y, i64 %i64
  %vx = load float, ptr addrspace(1) %px
  %vy = load float, ptr addrspace(1) %py
  %m = fmul float %a, %vx
  %s = fadd float %m, %vy
  store float %s, ptr addrspace(1) %py
  %inext = add i32 %i, %stride
  br label %loop
done:
  ret void
}
''' + _annotate("axpy")


def unguarded_store():
    """out[ctaid*ntid + tid] = 1.0 with no bounds check: past n when the grid is too big."""
    return HEAD + '''
define void @fill(ptr addrspace(1) %out, i32 %n) {
''' + _start() + '''  %i64 = sext i32 %i0 to i64
  %p = getelementptr float, ptr addrspace(1) %out, i64 %i64
  store float 1.0, ptr addrspace(1) %p
  ret void
}
''' + _annotate("fill")


def _accumulate():
    return '''  br label %loop
loop:
  %i = phi i32 [%i0, %entry], [%inext, %body]
  %acc = phi float [0.0, %entry], [%acc2, %body]
  %more = icmp slt i32 %i, %n
  br i1 %more, label %body, label %reduce
body:
  %i64 = sext i32 %i to i64
  %px = getelementptr float, ptr addrspace(1) %x, i64 %i64
  %vx = load float, ptr addrspace(1) %px
  %acc2 = fadd float %acc, %vx
  %inext = add i32 %i, %stride
  br label %loop
'''


def block_sum():
    """Per block: a grid-stride partial sum per thread, then a shared-memory tree reduction
    with a barrier per level; thread 0 writes out[ctaid]. The block size is a power of two."""
    return HEAD + '''declare void @llvm.nvvm.barrier0()
@sh = internal addrspace(3) global [1024 x float] undef, align 4

define void @block_sum(ptr addrspace(1) %x, ptr addrspace(1) %out, i32 %n) {
''' + _start() + _accumulate() + '''reduce:
  %t64 = zext i32 %t to i64
  %slot = getelementptr [1024 x float], ptr addrspace(3) @sh, i64 0, i64 %t64
  store float %acc, ptr addrspace(3) %slot
  call void @llvm.nvvm.barrier0()
  %s0 = lshr i32 %nt, 1
  br label %tree
tree:
  %s = phi i32 [%s0, %reduce], [%snext, %synced]
  %go = icmp ugt i32 %s, 0
  br i1 %go, label %level, label %finish
level:
  %active = icmp ult i32 %t, %s
  br i1 %active, label %add, label %sync
add:
  %o = add i32 %t, %s
  %o64 = zext i32 %o to i64
  %po = getelementptr [1024 x float], ptr addrspace(3) @sh, i64 0, i64 %o64
  %vo = load float, ptr addrspace(3) %po
  %vm = load float, ptr addrspace(3) %slot
  %sum = fadd float %vm, %vo
  store float %sum, ptr addrspace(3) %slot
  br label %sync
sync:
  call void @llvm.nvvm.barrier0()
  br label %synced
synced:
  %snext = lshr i32 %s, 1
  br label %tree
finish:
  %first = icmp eq i32 %t, 0
  br i1 %first, label %write, label %done
write:
  %r = load float, ptr addrspace(3) @sh
  %c64 = zext i32 %c to i64
  %pout = getelementptr float, ptr addrspace(1) %out, i64 %c64
  store float %r, ptr addrspace(1) %pout
  br label %done
done:
  ret void
}
''' + _annotate("block_sum")


def warp_sum():
    """Per warp: a grid-stride partial sum per thread, then shfl.sync.down over 16, 8, 4, 2, 1;
    lane 0 writes out[global warp index]. The block size is a multiple of 32."""
    steps = ""
    prev = "%acc"
    for k, off in enumerate((16, 8, 4, 2, 1)):
        steps += (f"  %sh{k} = call float @llvm.nvvm.shfl.sync.down.f32(i32 -1, float {prev}, "
                  f"i32 {off}, i32 31)\n  %v{k} = fadd float {prev}, %sh{k}\n")
        prev = f"%v{k}"
    return HEAD + '''declare float @llvm.nvvm.shfl.sync.down.f32(i32, float, i32, i32)

define void @warp_sum(ptr addrspace(1) %x, ptr addrspace(1) %out, i32 %n) {
''' + _start() + _accumulate() + "reduce:\n" + steps + f'''  %lane = and i32 %t, 31
  %g = add i32 %cb, %t
  %warp = lshr i32 %g, 5
  %first = icmp eq i32 %lane, 0
  br i1 %first, label %write, label %done
write:
  %w64 = zext i32 %warp to i64
  %pout = getelementptr float, ptr addrspace(1) %out, i64 %w64
  store float {prev}, ptr addrspace(1) %pout
  br label %done
done:
  ret void
}}
''' + _annotate("warp_sum")


def diverging_barrier():
    """Threads 0-15 wait at a barrier the others never reach (they return)."""
    return HEAD + '''declare void @llvm.nvvm.barrier0()

define void @diverge(ptr addrspace(1) %out) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %low = icmp ult i32 %t, 16
  br i1 %low, label %wait, label %done
wait:
  call void @llvm.nvvm.barrier0()
  br label %done
done:
  ret void
}
''' + _annotate("diverge")


def trapping():
    """Thread 3 of each block traps (an assertion failing on the device)."""
    return HEAD + '''declare void @llvm.trap()

define void @trapper(ptr addrspace(1) %out) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %bad = icmp eq i32 %t, 3
  br i1 %bad, label %trap, label %done
trap:
  call void @llvm.trap()
  unreachable
done:
  ret void
}
''' + _annotate("trapper")


def index_2d():
    """out[linear thread id] = linear id, over a 2-D grid of 2-D blocks (tid/ntid/ctaid .y)."""
    return '''target triple = "nvptx64-nvidia-cuda"
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.tid.y()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.y()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.y()
declare i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()

define ptx_kernel void @ids(ptr addrspace(1) %out) {
entry:
  %tx = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ty = call i32 @llvm.nvvm.read.ptx.sreg.tid.y()
  %nx = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %ny = call i32 @llvm.nvvm.read.ptx.sreg.ntid.y()
  %cx = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %cy = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.y()
  %gx = call i32 @llvm.nvvm.read.ptx.sreg.nctaid.x()
  %b0 = mul i32 %cy, %gx
  %b = add i32 %b0, %cx
  %per = mul i32 %nx, %ny
  %base = mul i32 %b, %per
  %r0 = mul i32 %ty, %nx
  %r = add i32 %r0, %tx
  %id = add i32 %base, %r
  %id64 = zext i32 %id to i64
  %p = getelementptr i32, ptr addrspace(1) %out, i64 %id64
  store i32 %id, ptr addrspace(1) %p
  ret void
}
'''


def libdevice_exp():
    """out[i] = __nv_expf(x[i]) (libdevice, linked by the test)."""
    return HEAD + '''declare float @__nv_expf(float)

define void @expk(ptr addrspace(1) %x, ptr addrspace(1) %out, i32 %n) {
''' + _start() + '''  %ok = icmp slt i32 %i0, %n
  br i1 %ok, label %body, label %done
body:
  %i64 = sext i32 %i0 to i64
  %px = getelementptr float, ptr addrspace(1) %x, i64 %i64
  %v = load float, ptr addrspace(1) %px
  %e = call float @__nv_expf(float %v)
  %po = getelementptr float, ptr addrspace(1) %out, i64 %i64
  store float %e, ptr addrspace(1) %po
  br label %done
done:
  ret void
}
''' + _annotate("expk")


def big_shared():
    """64 KiB of static shared memory: more than a block may declare (ptxas refuses it)."""
    return HEAD + '''@big = internal addrspace(3) global [16384 x float] undef, align 4

define void @hog(ptr addrspace(1) %out) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %t64 = zext i32 %t to i64
  %p = getelementptr [16384 x float], ptr addrspace(3) @big, i64 0, i64 %t64
  store float 1.0, ptr addrspace(3) %p
  %q = getelementptr [16384 x float], ptr addrspace(3) @big, i64 0, i64 16000
  %v = load volatile float, ptr addrspace(3) %q
  store float %v, ptr addrspace(1) %out
  ret void
}
''' + _annotate("hog")




def wild_load(sync=False):
    """Thread 5 reads address 16 (never mapped): a GPU would fault or read garbage. sync=True
    puts a barrier first, so the fault happens in a fiber."""
    barrier = "  call void @llvm.nvvm.barrier0()\n" if sync else ""
    return HEAD + '''declare void @llvm.nvvm.barrier0()

define void @wild(ptr addrspace(1) %out) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
''' + barrier + '''  %bad = icmp eq i32 %t, 5
  %addr = select i1 %bad, i64 16, i64 0
  %base = ptrtoint ptr addrspace(1) %out to i64
  %p0 = select i1 %bad, i64 16, i64 %base
  %p = inttoptr i64 %p0 to ptr addrspace(1)
  %v = load volatile float, ptr addrspace(1) %p
  store float %v, ptr addrspace(1) %out
  ret void
}
''' + _annotate("wild")


def divide(sync=False):
    """out[0] = 7 / (tid - 3) in integers: thread 3 divides by zero."""
    return HEAD + '''
define void @div(ptr addrspace(1) %out) {
entry:
  %t = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %d = sub i32 %t, 3
  %q = sdiv i32 7, %d
  store volatile i32 %q, ptr addrspace(1) %out
  ret void
}
''' + _annotate("div")


def reverse_in_shared():
    """Each block reverses its slice through dynamic (extern) shared memory and a barrier."""
    return HEAD + '''declare void @llvm.nvvm.barrier0()
@dyn = external addrspace(3) global [0 x float], align 4

define void @rev(ptr addrspace(1) %x, ptr addrspace(1) %out) {
''' + _start() + '''  %i64 = zext i32 %i0 to i64
  %px = getelementptr float, ptr addrspace(1) %x, i64 %i64
  %v = load float, ptr addrspace(1) %px
  %t64 = zext i32 %t to i64
  %ps = getelementptr float, ptr addrspace(3) @dyn, i64 %t64
  store float %v, ptr addrspace(3) %ps
  call void @llvm.nvvm.barrier0()
  %last = sub i32 %nt, 1
  %o = sub i32 %last, %t
  %o64 = zext i32 %o to i64
  %po = getelementptr float, ptr addrspace(3) @dyn, i64 %o64
  %w = load float, ptr addrspace(3) %po
  %pout = getelementptr float, ptr addrspace(1) %out, i64 %i64
  store float %w, ptr addrspace(1) %pout
  ret void
}
''' + _annotate("rev")

ALL = {"grid_stride_add": grid_stride_add(), "planted_swap": grid_stride_add(swap=True),
       "unguarded_store": unguarded_store(), "block_sum": block_sum(), "warp_sum": warp_sum(),
       "diverging_barrier": diverging_barrier(), "trapping": trapping(), "index_2d": index_2d(),
       "reverse_in_shared": reverse_in_shared()}
