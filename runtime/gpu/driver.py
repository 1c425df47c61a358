"""The CUDA driver through ctypes: devices, memory, modules and launches on an NVIDIA GPU.

`libcuda.so.1` ($AUTOGRAPH_JIT_LIBCUDA overrides the name) is loaded the first time a CUDA
device is asked for, never at import. About twenty entry points of the driver API are used, by
their `_v2` names where the driver has one, in the device's primary context (the one CUDA
runtime users such as torch, JAX and CuPy share). Every status other than CUDA_SUCCESS raises
the TF error type of its CUDA name (`ERROR_TYPES`), with the driver's own text.

Modules load from PTX: the header is set for this driver and device (`ptx_version`), then ptxas
assembles it into a cubin through the persistent `cubin_cache` when ptxas is present and not
newer than the driver; otherwise (or when the driver refuses the cubin) the driver compiles the
PTX itself. `LoadedModule.load_report` says which happened and why.

Example:
    dev = CudaDevice.open(0)
    buf = dev.to_device(np.ones(1024, np.float32))
    mod = dev.load_module(kernel_module)
    mod.launch("k", grid=(4,), block=(256,), args=[buf, np.int32(1024)])
    dev.synchronize()
"""
import ctypes
import os
import re
import threading


from autograph_jit import errors
from autograph_jit.errors import InvalidArgumentError, NotFoundError, UnavailableError

from . import launch_args, ptx_version
from .device import Device
from . import nvptx
from . import cubin_cache, ptxas

# CUDA status codes -> names (the driver's cuGetErrorName gives the same; this table serves
# where the driver itself failed to load a name)
STATUS_NAMES = {
    0: "CUDA_SUCCESS", 1: "CUDA_ERROR_INVALID_VALUE", 2: "CUDA_ERROR_OUT_OF_MEMORY",
    3: "CUDA_ERROR_NOT_INITIALIZED", 4: "CUDA_ERROR_DEINITIALIZED",
    34: "CUDA_ERROR_STUB_LIBRARY", 35: "CUDA_ERROR_INSUFFICIENT_DRIVER",
    46: "CUDA_ERROR_DEVICE_UNAVAILABLE", 100: "CUDA_ERROR_NO_DEVICE",
    101: "CUDA_ERROR_INVALID_DEVICE", 200: "CUDA_ERROR_INVALID_IMAGE",
    201: "CUDA_ERROR_INVALID_CONTEXT", 209: "CUDA_ERROR_NO_BINARY_FOR_GPU",
    218: "CUDA_ERROR_INVALID_PTX", 222: "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
    300: "CUDA_ERROR_INVALID_SOURCE", 400: "CUDA_ERROR_INVALID_HANDLE",
    500: "CUDA_ERROR_NOT_FOUND", 700: "CUDA_ERROR_ILLEGAL_ADDRESS",
    701: "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", 702: "CUDA_ERROR_LAUNCH_TIMEOUT",
    710: "CUDA_ERROR_ASSERT", 715: "CUDA_ERROR_ILLEGAL_INSTRUCTION",
    716: "CUDA_ERROR_MISALIGNED_ADDRESS", 719: "CUDA_ERROR_LAUNCH_FAILED",
    801: "CUDA_ERROR_NOT_SUPPORTED", 803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
    999: "CUDA_ERROR_UNKNOWN",
}
_KERNEL_FAULT = ("a kernel faulted; the context is now unusable (restart the process). Run the "
                 "same code with AUTOGRAPH_JIT_GPU=emulator to find the faulting access")
# CUDA name -> (TF error type, hint)
ERROR_TYPES = {
    "CUDA_ERROR_INVALID_VALUE": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_OUT_OF_MEMORY": (errors.ResourceExhaustedError,
                                 "free device buffers or use smaller batches"),
    "CUDA_ERROR_NOT_INITIALIZED": (errors.UnavailableError, ""),
    "CUDA_ERROR_DEINITIALIZED": (errors.UnavailableError, "the driver is shutting down"),
    "CUDA_ERROR_STUB_LIBRARY": (errors.UnavailableError,
                                "libcuda.so.1 is the toolkit's stub, not a driver"),
    "CUDA_ERROR_INSUFFICIENT_DRIVER": (errors.UnavailableError, "update the NVIDIA driver"),
    "CUDA_ERROR_DEVICE_UNAVAILABLE": (errors.UnavailableError,
                                      "the GPU is busy or in exclusive mode"),
    "CUDA_ERROR_NO_DEVICE": (errors.UnavailableError, ""),
    "CUDA_ERROR_INVALID_DEVICE": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_INVALID_IMAGE": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_INVALID_CONTEXT": (errors.InternalError, ""),
    "CUDA_ERROR_NO_BINARY_FOR_GPU": (errors.InvalidArgumentError,
                                     "the cubin was built for another architecture"),
    "CUDA_ERROR_INVALID_PTX": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_UNSUPPORTED_PTX_VERSION": (errors.FailedPreconditionError,
                                           "update the NVIDIA driver"),
    "CUDA_ERROR_INVALID_SOURCE": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_INVALID_HANDLE": (errors.InvalidArgumentError, ""),
    "CUDA_ERROR_NOT_FOUND": (errors.NotFoundError, ""),
    "CUDA_ERROR_ILLEGAL_ADDRESS": (errors.InternalError, _KERNEL_FAULT),
    "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES": (errors.ResourceExhaustedError,
                                           "fewer threads per block or fewer registers"),
    "CUDA_ERROR_LAUNCH_TIMEOUT": (errors.DeadlineExceededError, ""),
    "CUDA_ERROR_ASSERT": (errors.InternalError, _KERNEL_FAULT),
    "CUDA_ERROR_ILLEGAL_INSTRUCTION": (errors.InternalError, _KERNEL_FAULT),
    "CUDA_ERROR_MISALIGNED_ADDRESS": (errors.InternalError, _KERNEL_FAULT),
    "CUDA_ERROR_LAUNCH_FAILED": (errors.InternalError, _KERNEL_FAULT),
    "CUDA_ERROR_NOT_SUPPORTED": (errors.UnimplementedError, ""),
    "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH": (errors.UnavailableError,
                                          "the driver and kernel module versions differ"),
}
_ALTERNATIVES = ("Run kernels on the CPU grid emulator with AUTOGRAPH_JIT_GPU=emulator, or "
                 "compile for the CPU with backend='cpu'.")

# (name, restype-less argtypes); all return CUresult (int)
_U64, _P, _I, _U, _SZ = (ctypes.c_uint64, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint,
                         ctypes.c_size_t)
_FUNCTIONS = {
    "cuInit": [_U],
    "cuDriverGetVersion": [ctypes.POINTER(_I)],
    "cuDeviceGetCount": [ctypes.POINTER(_I)],
    "cuDeviceGet": [ctypes.POINTER(_I), _I],
    "cuDeviceGetName": [ctypes.c_char_p, _I, _I],
    "cuDeviceGetAttribute": [ctypes.POINTER(_I), _I, _I],
    "cuDevicePrimaryCtxRetain": [ctypes.POINTER(_P), _I],
    "cuCtxSetCurrent": [_P],
    "cuCtxSynchronize": [],
    "cuMemAlloc_v2": [ctypes.POINTER(_U64), _SZ],
    "cuMemFree_v2": [_U64],
    "cuMemcpyHtoD_v2": [_U64, _P, _SZ],
    "cuMemcpyDtoH_v2": [_P, _U64, _SZ],
    "cuMemcpyDtoD_v2": [_U64, _U64, _SZ],
    "cuModuleLoadData": [ctypes.POINTER(_P), _P],
    "cuModuleLoadDataEx": [ctypes.POINTER(_P), _P, _U, ctypes.POINTER(_I), ctypes.POINTER(_P)],
    "cuModuleUnload": [_P],
    "cuModuleGetFunction": [ctypes.POINTER(_P), _P, ctypes.c_char_p],
    "cuFuncSetAttribute": [_P, _I, _I],
    "cuLaunchKernel": [_P, _U, _U, _U, _U, _U, _U, _U, _P, ctypes.POINTER(_P),
                       ctypes.POINTER(_P)],
    "cuGetErrorName": [_I, ctypes.POINTER(ctypes.c_char_p)],
    "cuGetErrorString": [_I, ctypes.POINTER(ctypes.c_char_p)],
}
ATTR_CC_MAJOR, ATTR_CC_MINOR = 75, 76
ATTR_SM_COUNT, ATTR_MAX_SHARED_OPTIN = 16, 97
FUNC_ATTR_MAX_DYNAMIC_SHARED = 8
JIT_ERROR_LOG_BUFFER, JIT_ERROR_LOG_BUFFER_SIZE = 5, 6

_lib = None
_lib_lock = threading.Lock()


def library_name():
    """The driver library to load: $AUTOGRAPH_JIT_LIBCUDA or libcuda.so.1 (nvcuda.dll)."""
    import sys
    return os.environ.get("AUTOGRAPH_JIT_LIBCUDA") or (
        "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1")


def loaded():
    """Whether this process has loaded the CUDA driver library (through this module)."""
    return _lib is not None


def load():
    """The driver library with its entry points typed, loaded and initialised once.

    Raises UnavailableError naming what is missing and the alternatives."""
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        name = library_name()
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            raise UnavailableError(
                f"no CUDA driver: {name} could not be loaded ({e}); this machine has no "
                f"NVIDIA driver. {_ALTERNATIVES}") from None
        missing = [f for f in _FUNCTIONS if not hasattr(lib, f)]
        if missing:
            raise UnavailableError(f"the CUDA driver {name} lacks {', '.join(missing)} (a driver "
                                   f"older than CUDA 11?). {_ALTERNATIVES}")
        for fname, argtypes in _FUNCTIONS.items():
            fn = getattr(lib, fname)
            fn.argtypes = argtypes
            fn.restype = ctypes.c_int
        status = lib.cuInit(0)
        if status != 0:
            raise error_for(status, "cuInit", lib,
                            extra=f"the CUDA driver did not start. {_ALTERNATIVES}")
        _lib = lib
        return lib


def status_name(status, lib=None):
    """The CUDA name of a status code (from the driver where it can say)."""
    if lib is not None:
        p = ctypes.c_char_p()
        if lib.cuGetErrorName(status, ctypes.byref(p)) == 0 and p.value:
            return p.value.decode()
    return STATUS_NAMES.get(status, f"CUDA_ERROR_{status}")


def error_for(status, call, lib=None, extra=""):
    """The TF error for CUDA status `status` returned by `call`."""
    name = status_name(status, lib)
    text = ""
    if lib is not None:
        p = ctypes.c_char_p()
        if lib.cuGetErrorString(status, ctypes.byref(p)) == 0 and p.value:
            text = p.value.decode()
    cls, hint = ERROR_TYPES.get(name, (errors.UnknownError, ""))
    message = f"{call} failed: {name}" + (f" ({text})" if text else "")
    for part in (hint, extra):
        if part:
            message += f": {part}"
    return cls(message)


def check(status, call, extra=""):
    """Raise the TF error for a failed driver call."""
    if status != 0:
        raise error_for(status, call, _lib, extra)


def entry_params(ptx):
    """kernel -> list of parameter sizes in bytes, read from the PTX `.entry` declarations."""
    out = {}
    for m in re.finditer(r'\.entry\s+([\w$]+)\s*\(([^)]*)\)', ptx):
        sizes = []
        for p in m.group(2).split(","):
            p = p.strip()
            if not p:
                continue
            arr = re.search(r'\.b8\s+\w+\[(\d+)\]', p)
            t = re.search(r'\.param\s+(?:\.align\s+\d+\s+)?\.([usbf])(\d+)', p)
            if arr:
                sizes.append(int(arr.group(1)))
            elif t:
                sizes.append(int(t.group(2)) // 8)
        out[m.group(1)] = sizes
    return out


class CudaBuffer:
    """Device memory from cuMemAlloc: `.ptr` (the device address), `.nbytes`, `free()`."""

    def __init__(self, device, nbytes, label=None):
        self.device = device
        self.nbytes = int(nbytes)
        self.label = label or f"{self.nbytes}-byte buffer"
        ptr = ctypes.c_uint64()
        device._make_current()
        check(_lib.cuMemAlloc_v2(ctypes.byref(ptr), max(1, self.nbytes)), "cuMemAlloc_v2",
              f"allocating {self.nbytes} bytes")
        self.ptr = ptr.value
        self.freed = False

    def free(self):
        """Return the memory to the driver (once)."""
        if not self.freed:
            self.freed = True
            self.device._make_current()
            check(_lib.cuMemFree_v2(self.ptr), "cuMemFree_v2")

    def __del__(self):
        try:
            if not self.freed and _lib is not None:
                self.free()
        except Exception:  # noqa: BLE001 (interpreter shutdown: the driver may be gone)
            pass

    def __repr__(self):
        return f"<CudaBuffer {self.label} at 0x{self.ptr:x}>"


class CudaDevice(Device):
    """One NVIDIA GPU in its primary context (see the module docstring)."""

    kind = "cuda"
    warp_size = 32

    @classmethod
    def open(cls, ordinal=0):
        """The device `ordinal`; UnavailableError when there is no driver or no such device."""
        lib = load()
        count = ctypes.c_int()
        check(lib.cuDeviceGetCount(ctypes.byref(count)), "cuDeviceGetCount")
        if count.value <= ordinal:
            raise UnavailableError(
                f"the CUDA driver sees {count.value} device(s), so there is no device "
                f"{ordinal}. {_ALTERNATIVES}")
        return cls(lib, ordinal)

    def __init__(self, lib, ordinal):
        self.ordinal = ordinal
        dev = ctypes.c_int()
        check(lib.cuDeviceGet(ctypes.byref(dev), ordinal), "cuDeviceGet")
        self._dev = dev.value
        name = ctypes.create_string_buffer(256)
        check(lib.cuDeviceGetName(name, 256, self._dev), "cuDeviceGetName")
        self.name = name.value.decode()
        self.compute_capability = (self.attribute(ATTR_CC_MAJOR), self.attribute(ATTR_CC_MINOR))
        self.multiprocessors = self.attribute(ATTR_SM_COUNT)
        self.max_shared_bytes = self.attribute(ATTR_MAX_SHARED_OPTIN)
        v = ctypes.c_int()
        check(lib.cuDriverGetVersion(ctypes.byref(v)), "cuDriverGetVersion")
        self.driver_version = v.value
        ctx = ctypes.c_void_p()
        check(lib.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), self._dev),
              "cuDevicePrimaryCtxRetain")
        self._ctx = ctx
        self._local = threading.local()
        self._make_current()

    def attribute(self, attr):
        """cuDeviceGetAttribute(attr) as an int."""
        out = ctypes.c_int()
        check(_lib.cuDeviceGetAttribute(ctypes.byref(out), attr, self._dev),
              "cuDeviceGetAttribute")
        return out.value

    def _make_current(self):
        if getattr(self._local, "current", False):
            return
        check(_lib.cuCtxSetCurrent(self._ctx), "cuCtxSetCurrent")
        self._local.current = True

    def alloc(self, nbytes, label=None):
        """A DeviceBuffer of `nbytes` (contents undefined)."""
        return CudaBuffer(self, nbytes, label)

    def _htod(self, buf, a):
        self._make_current()
        check(_lib.cuMemcpyHtoD_v2(buf.ptr, a.ctypes.data, a.nbytes), "cuMemcpyHtoD_v2")

    def _dtoh(self, array, buf):
        self._make_current()
        check(_lib.cuMemcpyDtoH_v2(array.ctypes.data, buf.ptr, array.nbytes), "cuMemcpyDtoH_v2")

    def _dtod(self, dst, src, n):
        # asynchronous on the device, as cuMemcpyDtoD is
        self._make_current()
        check(_lib.cuMemcpyDtoD_v2(dst.ptr, src.ptr, n), "cuMemcpyDtoD_v2")

    def load_module(self, module):
        """Load a KernelModule (PTX, through ptxas and the cubin cache where possible)."""
        return CudaModule(self, module)

    def synchronize(self):
        """Wait for every launch and copy; a kernel fault raises here."""
        self._make_current()
        check(_lib.cuCtxSynchronize(), "cuCtxSynchronize")

    def __repr__(self):
        return (f"<CudaDevice {self.ordinal}: {self.name}, sm_{self.compute_capability[0]}"
                f"{self.compute_capability[1]}, driver {self.driver_version}>")


def prepare_ptx(module, driver_version, capability, ptxas_max=None):
    """(PTX text with its header set for this driver and device, ptx version, target)."""
    ptx = module.ptx
    target = ptx_version.target_for(capability)
    if ptx is None:
        version, _ = ptx_version.choose(driver_version, capability, None, ptxas_max)
        ptx = nvptx.emit_ptx(module.llvm_ir, target, version)
    emitted, _ = ptx_version.read_header(ptx)
    version, target = ptx_version.choose(driver_version, capability, emitted, ptxas_max)
    return ptx_version.rewrite_header(ptx, version, target), version, target


class CudaModule:
    """A module loaded into the device's context; `launch` runs one of its kernels."""

    def __init__(self, device, module):
        self.device = device
        self.name = module.name
        self.usage = {}
        exe = ptxas.find()
        ptxas_ver = ptxas.version(exe) if exe else None
        driver_major = ptx_version.cuda_version(device.driver_version)[0]
        use_ptxas = ptxas_ver is not None and ptxas_ver[0] <= driver_major
        ptx, self.ptx_version, self.target = prepare_ptx(
            module, device.driver_version, device.compute_capability,
            ptxas.max_ptx_isa(ptxas_ver) if use_ptxas else None)
        self.ptx = ptx
        self._params = entry_params(ptx)
        device._make_current()
        handle = ctypes.c_void_p()
        if use_ptxas:
            assembled = cubin_cache.get_or_assemble(ptx, self.target)
            self.usage = assembled.usage
            image = ctypes.create_string_buffer(assembled.cubin, len(assembled.cubin))
            status = _lib.cuModuleLoadData(ctypes.byref(handle), image)
            if status == 0:
                self.load_report = f"cubin from ptxas {ptxas_ver[0]}.{ptxas_ver[1]} for {self.target}"
            elif status_name(status, _lib) in ("CUDA_ERROR_NO_BINARY_FOR_GPU",
                                               "CUDA_ERROR_INVALID_IMAGE",
                                               "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"):
                self.load_report = (f"the driver refused ptxas' cubin "
                                    f"({status_name(status, _lib)}); PTX compiled by the driver")
                self._load_ptx(handle, ptx)
            else:
                check(status, "cuModuleLoadData", f"module {module.name}")
        else:
            why = ("no ptxas found" if ptxas_ver is None else
                   f"ptxas {ptxas_ver[0]}.{ptxas_ver[1]} is newer than the driver")
            self.load_report = f"PTX compiled by the driver ({why})"
            self._load_ptx(handle, ptx)
        self._handle = handle
        self._functions = {}

    def _load_ptx(self, handle, ptx):
        log = ctypes.create_string_buffer(16384)
        opts = (ctypes.c_int * 2)(JIT_ERROR_LOG_BUFFER, JIT_ERROR_LOG_BUFFER_SIZE)
        vals = (ctypes.c_void_p * 2)(ctypes.cast(log, ctypes.c_void_p).value, 16384)
        src = ctypes.create_string_buffer(ptx.encode())
        status = _lib.cuModuleLoadDataEx(ctypes.byref(handle), src, 2, opts, vals)
        if status != 0:
            check(status, "cuModuleLoadDataEx",
                  f"module {self.name}: {log.value.decode(errors='replace').strip()}")

    @property
    def kernels(self):
        """The kernels named in the PTX."""
        return list(self._params)

    def _function(self, name):
        fn = self._functions.get(name)
        if fn is None:
            if name not in self._params:
                raise NotFoundError(f"module {self.name} has no kernel {name!r}; it has "
                                    f"{self.kernels}")
            fn = ctypes.c_void_p()
            check(_lib.cuModuleGetFunction(ctypes.byref(fn), self._handle, name.encode()),
                  "cuModuleGetFunction", name)
            self._functions[name] = fn
        return fn

    def launch(self, kernel_name, grid, block, args, shared_bytes=0):
        """Launch `kernel_name` asynchronously; `device.synchronize()` waits for it."""
        fn = self._function(kernel_name)
        grid = launch_args.dims(grid, "grid", launch_args.MAX_GRID)
        block = launch_args.check_block(block)
        sizes = self._params[kernel_name]
        if len(args) != len(sizes):
            raise InvalidArgumentError(f"kernel {kernel_name} takes {len(sizes)} arguments, got "
                                       f"{len(args)}")
        for i, (arg, size) in enumerate(zip(args, sizes)):
            launch_args.kind_of(arg, i, kernel_name)
            if launch_args.size_of(arg) != size:
                raise InvalidArgumentError(
                    f"kernel {kernel_name}: argument {i} takes {launch_args.size_of(arg)} bytes "
                    f"but the parameter has {size}")
        params, keep = launch_args.pack(args, kernel_name)
        self.device._make_current()
        if shared_bytes > 48 * 1024:
            check(_lib.cuFuncSetAttribute(fn, FUNC_ATTR_MAX_DYNAMIC_SHARED, int(shared_bytes)),
                  "cuFuncSetAttribute", f"{shared_bytes} bytes of dynamic shared memory")
        check(_lib.cuLaunchKernel(fn, *grid, *block, int(shared_bytes), None, params, None),
              "cuLaunchKernel", f"kernel {kernel_name} grid {grid} block {block}")
        del keep  # (the driver copied the parameter values at launch)

    def unload(self):
        """Unload the module from the context."""
        if self._handle:
            self.device._make_current()
            check(_lib.cuModuleUnload(self._handle), "cuModuleUnload")
            self._handle = None
