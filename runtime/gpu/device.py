"""The Device interface both device kinds implement (driver.py's CudaDevice, emulator.py's
EmulatorDevice): what every kind does the same way — host<->device copies with their checks,
`to_device`/`to_host` — written once; a kind supplies `alloc` and the raw `_htod`, `_dtoh`,
`_dtod` moves (called with checked, C-contiguous arguments), `load_module` and `synchronize`.
"""
import numpy as np

from autograph_jit.errors import InvalidArgumentError

__all__ = ["Device", "check_copy"]


def check_copy(buf, nbytes, what):
    """Raise InvalidArgumentError when `buf` was freed or holds fewer than `nbytes` bytes."""
    if getattr(buf, "freed", False):
        raise InvalidArgumentError(f"{what}: the device buffer was freed")
    if nbytes > buf.nbytes:
        raise InvalidArgumentError(f"{what}: {nbytes} bytes do not fit in the device buffer of "
                                   f"{buf.nbytes} bytes")


class Device:
    """A GPU (or its emulator): `alloc(nbytes)` -> DeviceBuffer, copies, `load_module`.

    Example:
        dev = autograph_jit.runtime.gpu.get_device("emulator")
        buf = dev.to_device(np.arange(4, dtype=np.float32))
        dev.to_host(buf, (4,), np.float32)
    """

    kind = None
    warp_size = 32

    def to_device(self, array, label=None):
        """A new DeviceBuffer holding a copy of `array` (C order)."""
        a = np.ascontiguousarray(array)
        buf = self.alloc(a.nbytes, label)
        self.copy_htod(buf, a)
        return buf

    def to_host(self, buf, shape, dtype):
        """A new ndarray of `shape` and `dtype` copied from `buf`."""
        out = np.empty(shape, np.dtype(dtype))
        self.copy_dtoh(out, buf)
        return out

    def copy_htod(self, buf, array):
        """Copy the host array into `buf` (at most buf.nbytes; synchronous)."""
        a = np.ascontiguousarray(array)
        check_copy(buf, a.nbytes, "copy_htod")
        self._htod(buf, a)

    def copy_dtoh(self, array, buf):
        """Copy `buf` into the C-contiguous host array `array` (written in place; synchronous)."""
        if not array.flags.c_contiguous:
            raise InvalidArgumentError("copy_dtoh: the host array must be C-contiguous")
        check_copy(buf, array.nbytes, "copy_dtoh")
        self._dtoh(array, buf)

    def copy_dtod(self, dst, src, nbytes=None):
        """Copy `nbytes` (default: all of src) from device buffer `src` to `dst`."""
        n = src.nbytes if nbytes is None else int(nbytes)
        check_copy(src, n, "copy_dtod")
        check_copy(dst, n, "copy_dtod")
        self._dtod(dst, src, n)
