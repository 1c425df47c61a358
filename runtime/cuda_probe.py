"""Whether this process can reach an NVIDIA GPU: the CUDA driver library and a device.

Nothing runs at import: `probe()` loads `libcuda` (through ctypes) the first time it is asked,
and remembers the answer. The runtime's only contact with CUDA until a GPU backend exists.
"""
import ctypes
import sys

_answer = None
_count = [None]


def probe():
    """(available, reason): can this process use a CUDA device, and if not, what is missing."""
    global _answer
    if _answer is None:
        _answer = _probe()
    return _answer


def device_count():
    """How many CUDA devices the driver sees (0 without a driver); asked once, remembered."""
    if _count[0] is None:
        probe()
        if _count[0] is None:
            _count[0] = 0
    return _count[0]


def _probe():
    name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return False, f"the CUDA driver library {name} is not installed (no NVIDIA driver)"
    status = lib.cuInit(0)
    if status != 0:
        return False, f"the CUDA driver failed to start (cuInit returned CUDA error {status})"
    count = ctypes.c_int(0)
    status = lib.cuDeviceGetCount(ctypes.byref(count))
    if status != 0 or count.value == 0:
        return False, "the CUDA driver sees no device"
    _count[0] = int(count.value)
    return True, f"{count.value} CUDA device(s)"
