"""autograph_jit.runtime.gpu — the device layer of the GPU backend.

`get_device(kind)` gives a Device with one interface over two implementations:
- "cuda" (`driver.py`): the NVIDIA driver through ctypes on `libcuda.so.1`, loaded on first use;
  modules load from PTX (assembled by `ptxas` into a cubin, kept in the cubin cache) with the
  PTX header chosen for the driver and device at load time;
- "emulator" (`emulator.py`): the same kernel IR compiled for the host and run over the grid,
  with barriers, warp shuffles, per-block shared memory and canary-padded buffers.
The default kind is $AUTOGRAPH_JIT_GPU, else "cuda". Importing this package touches no CUDA.

Device: `kind`, `name`, `compute_capability` ((major, minor)); `alloc(nbytes)` -> DeviceBuffer
(`.ptr`, `.nbytes`, `.free()`); `to_device(ndarray)`; `to_host(buf, shape, dtype)`;
`copy_htod(buf, arr)`; `copy_dtoh(arr, buf)`; `copy_dtod(dst, src)`; `load_module(KernelModule)`
-> LoadedModule with `launch(kernel_name, grid, block, args, shared_bytes=0)`; `synchronize()`.
"""
import os
import threading

from autograph_jit.errors import InvalidArgumentError

from .kernel_module import KernelModule

__all__ = ["KernelModule", "get_device", "default_kind", "KINDS"]

KINDS = ("cuda", "emulator")
_devices = {}
_lock = threading.Lock()


def default_kind():
    """The device kind named by $AUTOGRAPH_JIT_GPU ("cuda" or "emulator"), default "cuda"."""
    kind = os.environ.get("AUTOGRAPH_JIT_GPU", "").strip().lower() or "cuda"
    if kind not in KINDS:
        raise InvalidArgumentError(f"AUTOGRAPH_JIT_GPU={kind!r}: use one of {KINDS}")
    return kind


def get_device(kind=None):
    """The GPU device of `kind` ("cuda", "emulator", or None for $AUTOGRAPH_JIT_GPU / "cuda").

    Args:
      kind: which implementation.
    Returns:
      The process-wide Device of that kind (created on first use).
    Raises:
      UnavailableError: kind "cuda" without a driver or device; the message names what is
        missing and the alternatives (AUTOGRAPH_JIT_GPU=emulator, backend="cpu").

    Example:
        dev = get_device("emulator")
        buf = dev.to_device(np.ones(4, np.float32))
    """
    kind = default_kind() if kind is None else str(kind).lower()
    if kind not in KINDS:
        raise InvalidArgumentError(f"get_device: unknown kind {kind!r}; use one of {KINDS}")
    with _lock:
        dev = _devices.get(kind)
        if dev is None:
            if kind == "emulator":
                from .emulator import EmulatorDevice
                dev = EmulatorDevice()
            else:
                from .driver import CudaDevice
                dev = CudaDevice.open(0)
            _devices[kind] = dev
        return dev
