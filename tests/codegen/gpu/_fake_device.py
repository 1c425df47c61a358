"""A minimal stand-in for runtime/gpu's grid emulator, for these tests only: the Device
interface of the runtime contract over host memory, running a kernel module's NVPTX LLVM IR on
the CPU (MCJIT) with one OS thread per GPU thread of a block (real barriers; warp shuffles
through per-warp slots) for kernels that synchronise, a plain loop over threads otherwise.
Blocks run one after another, so the module's shared-memory globals are per block. Used when
runtime/gpu's emulator is not importable; libdevice calls are not supported here.
"""
import ctypes
import re
import threading

import llvmlite.binding as llvm
import numpy as np

_SREG = re.compile(r"@llvm\.nvvm\.read\.ptx\.sreg\.(tid|ntid|ctaid|nctaid)\.([xyz])")
_local = threading.local()
_CB_INT = ctypes.CFUNCTYPE(ctypes.c_int32)
_CB_VOID = ctypes.CFUNCTYPE(None)
_CB_SHFL_I = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32,
                              ctypes.c_int32)
_CB_SHFL_F = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_int32, ctypes.c_float, ctypes.c_int32,
                              ctypes.c_int32)
_keep = []
_engine_lock = threading.Lock()


def _sreg_cb(reg, axis):
    k = "xyz".index(axis)
    return _CB_INT(lambda: getattr(_local, reg)[k])


def _barrier():
    _local.block.barrier.wait(timeout=30)


def _shfl(mask, value, offset, clamp):
    blk = _local.block
    lin = _local.linear
    warp, lane = lin // 32, lin % 32
    slots = blk.slots[warp]
    slots[lane] = value
    blk.warp_barriers[warp].wait(timeout=30)
    src = lane + offset
    got = slots[src] if src < 32 and warp * 32 + src < blk.nthreads else value
    blk.warp_barriers[warp].wait(timeout=30)
    return got


_CALLBACKS = {}


def _install():
    if _CALLBACKS:
        return
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    for reg in ("tid", "ntid", "ctaid", "nctaid"):
        for axis in "xyz":
            cb = _sreg_cb(reg, axis)
            _CALLBACKS[f"emu_sreg_{reg}_{axis}"] = cb
    _CALLBACKS["emu_barrier"] = _CB_VOID(_barrier)
    _CALLBACKS["emu_shfl_i32"] = _CB_SHFL_I(_shfl)
    _CALLBACKS["emu_shfl_f32"] = _CB_SHFL_F(_shfl)
    for name, cb in _CALLBACKS.items():
        llvm.add_symbol(name, ctypes.cast(cb, ctypes.c_void_p).value)


_NVVM_MATH = {   # the few NVVM intrinsics libdevice's functions use here, as host IR
    "add.rn.f": ("float", "fadd float %a, %b", 2), "add.rn.d": ("double", "fadd double %a, %b", 2),
    "mul.rn.f": ("float", "fmul float %a, %b", 2), "mul.rn.d": ("double", "fmul double %a, %b", 2),
    "fabs.f32": ("float", "call float @llvm.fabs.f32(float %a)", 1),
    "fabs.f64": ("double", "call double @llvm.fabs.f64(double %a)", 1),
    "fabs.f": ("float", "call float @llvm.fabs.f32(float %a)", 1),
    "fabs.d": ("double", "call double @llvm.fabs.f64(double %a)", 1),
    "round.f": ("float", "call float @llvm.round.f32(float %a)", 1),
    "round.d": ("double", "call double @llvm.round.f64(double %a)", 1),
    "fma.rn.f": ("float", "call float @llvm.fma.f32(float %a, float %b, float %c)", 3),
    "fma.rn.d": ("double", "call double @llvm.fma.f64(double %a, double %b, double %c)", 3),
}


def _nvvm_math(text):
    used = set(re.findall(r"@llvm\.nvvm\.([\w.]+)\(", text)) & set(_NVVM_MATH)
    for name in used:
        ty, expr, n = _NVVM_MATH[name]
        emu = "emu_" + name.replace(".", "_")
        text = re.sub(r"^declare .*@llvm\.nvvm\." + re.escape(name) + r"\(.*$", "", text,
                      flags=re.M)
        text = text.replace(f"@llvm.nvvm.{name}(", f"@{emu}(")
        args = ", ".join(f"{ty} %{c}" for c in "abc"[:n])
        text += f"\ndefine internal {ty} @{emu}({args}) alwaysinline {{\n  %r = {expr}\n" \
                f"  ret {ty} %r\n}}\n"
    return text


def host_ir(text):
    """The NVPTX module text made compilable for the host."""
    text = re.sub(r'^target (triple|datalayout) = .*$', "", text, flags=re.M)
    text = re.sub(r"\s*addrspace\(\d+\)", "", text)
    text = re.sub(r'"target-(cpu|features)"="[^"]*"', "", text)
    text = _SREG.sub(lambda m: f"@emu_sreg_{m.group(1)}_{m.group(2)}", text)
    text = text.replace("@llvm.nvvm.barrier0", "@emu_barrier")
    # LLVM 22 upgrades barrier0 to barrier.cta.sync.aligned.all(i32 0)
    text = re.sub(r"@llvm\.nvvm\.barrier\.cta\.sync\.aligned\.all\((i32 0|i32)?\)", "@emu_barrier()",
                  text)
    text = text.replace("@llvm.nvvm.shfl.sync.down.i32", "@emu_shfl_i32")
    text = text.replace("@llvm.nvvm.shfl.sync.down.f32", "@emu_shfl_f32")
    text = re.sub(r"^!nvvm\.annotations.*$", "", text, flags=re.M)
    text = _nvvm_math(text)
    # libdevice's one inline PTX here: an approximate reciprocal
    text = re.sub(r'(?:tail )?call (float|double) asm "rcp\.approx\.(?:ftz\.)?f(?:32|64) '
                  r'\$0,\$1;", "=[fd],[fd]"\(\w+ (%[\w.]+)\)(?: #\d+)?',
                  r"fdiv \1 1.0, \2", text)
    left = re.findall(r"@(llvm\.nvvm\.[\w.]+|__nv_\w+)", text)
    if left:
        raise NotImplementedError(f"the test emulator does not run {sorted(set(left))}")
    return text


class Buffer:
    def __init__(self, nbytes):
        self.nbytes = int(nbytes)
        self.mem = np.zeros(max(self.nbytes, 1) + 64, np.uint8)  # + canary padding
        self.mem[self.nbytes:] = 0xA5
        self.ptr = self.mem.ctypes.data

    def free(self):
        pass

    def canary_ok(self):
        return bool(np.all(self.mem[self.nbytes:] == 0xA5))


class _Block:
    def __init__(self, nthreads):
        self.nthreads = nthreads
        self.barrier = threading.Barrier(nthreads)
        nwarps = -(-nthreads // 32)
        self.slots = [[0] * 32 for _ in range(nwarps)]
        self.warp_barriers = [threading.Barrier(min(32, nthreads - 32 * w)) for w in range(nwarps)]


class Loaded:
    def __init__(self, km):
        _install()
        text = host_ir(km.llvm_ir)
        with _engine_lock:
            mod = llvm.parse_assembly(text)
            mod.verify()
            target = llvm.Target.from_default_triple()
            tm = target.create_target_machine()
            self.engine = llvm.create_mcjit_compiler(mod, tm)
            self.engine.finalize_object()
        self.synchronising = {}
        for m in re.finditer(r"define[^@]*@\"?([\w.]+)\"?\((.*?)^}", text, re.S | re.M):
            self.synchronising[m.group(1)] = ("emu_barrier" in m.group(2)
                                              or "emu_shfl" in m.group(2))
        self.buffers_seen = []

    def launch(self, name, grid, block, args, shared_bytes=0):
        addr = self.engine.get_function_address(name)
        ptrs = [a.ptr for a in args]
        fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(ptrs))(addr)
        self.buffers_seen.extend(args)
        nthreads = block[0] * block[1] * block[2]
        sync = self.synchronising.get(name, True)
        for bz in range(grid[2]):
            for by in range(grid[1]):
                for bx in range(grid[0]):
                    blk = _Block(nthreads)

                    def run(t, bx=bx, by=by, bz=bz, blk=blk):
                        _local.tid = (t % block[0], (t // block[0]) % block[1],
                                      t // (block[0] * block[1]))
                        _local.ntid = tuple(block)
                        _local.ctaid = (bx, by, bz)
                        _local.nctaid = tuple(grid)
                        _local.linear = t
                        _local.block = blk
                        fn(*ptrs)
                    if not sync:
                        for t in range(nthreads):
                            run(t)
                        continue
                    threads = [threading.Thread(target=run, args=(t,)) for t in range(nthreads)]
                    for th in threads:
                        th.start()
                    for th in threads:
                        th.join()


class FakeDevice:
    kind = "emulator"
    name = "test grid emulator"
    compute_capability = (7, 5)

    def __init__(self):
        self.buffers = []

    def alloc(self, nbytes):
        b = Buffer(nbytes)
        self.buffers.append(b)
        return b

    def to_device(self, arr):
        arr = np.ascontiguousarray(arr)
        b = self.alloc(arr.nbytes)
        b.mem[:arr.nbytes] = arr.view(np.uint8).reshape(-1)
        return b

    def to_host(self, buf, shape, dtype):
        dtype = np.dtype(dtype)
        n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        return buf.mem[:n].copy().view(dtype).reshape(shape)

    def copy_htod(self, buf, arr):
        arr = np.ascontiguousarray(arr)
        buf.mem[:arr.nbytes] = arr.view(np.uint8).reshape(-1)

    def copy_dtoh(self, arr, buf):
        arr.view(np.uint8).reshape(-1)[:] = buf.mem[:arr.nbytes]

    def load_module(self, km):
        return Loaded(km)

    def synchronize(self):
        pass

    def canaries_ok(self):
        return all(b.canary_ok() for b in self.buffers)
