"""Choosing a PTX header for the driver and device at hand, and writing it into PTX text.

PTX names its ISA version (`.version 8.0`) and target (`.target sm_80`). A driver refuses PTX
newer than it knows (CUDA_ERROR_UNSUPPORTED_PTX_VERSION: a top complaint of JAX and candle
users), and a cubin assembled for one `sm_XX` runs only on that major architecture. So the
header is chosen at load time: the target is the device's own `sm_XX`, the version the lowest
one that target needs, raised to what the PTX was written for, and never above what the driver
(and the ptxas assembling it) supports. `rewrite_header` puts them into the text.

Example:
    choose(driver_version=12040, capability=(9, 0), emitted=(8, 0)) == ((8, 0), "sm_90")
"""
import re

from autograph_jit.errors import FailedPreconditionError

# CUDA version (major, minor) -> the newest PTX ISA it accepts
DRIVER_PTX = {
    (11, 0): (7, 0), (11, 1): (7, 1), (11, 2): (7, 2), (11, 3): (7, 3), (11, 4): (7, 4),
    (11, 5): (7, 5), (11, 6): (7, 6), (11, 7): (7, 7), (11, 8): (7, 8),
    (12, 0): (8, 0), (12, 1): (8, 1), (12, 2): (8, 2), (12, 3): (8, 3), (12, 4): (8, 4),
    (12, 5): (8, 5), (12, 6): (8, 5), (12, 8): (8, 7), (12, 9): (8, 8),
    (13, 0): (9, 0),
}
# sm_XX -> the oldest PTX ISA that knows it
TARGET_MIN_PTX = {
    "sm_70": (6, 0), "sm_72": (6, 1), "sm_75": (6, 3), "sm_80": (7, 0), "sm_86": (7, 1),
    "sm_87": (7, 4), "sm_89": (7, 8), "sm_90": (7, 8), "sm_90a": (8, 0), "sm_100": (8, 6),
    "sm_101": (8, 6), "sm_103": (8, 8), "sm_110": (9, 0), "sm_120": (8, 7), "sm_121": (8, 8),
}


def cuda_version(driver_version):
    """(major, minor) of cuDriverGetVersion's integer (12040 -> (12, 4))."""
    return driver_version // 1000, (driver_version % 1000) // 10


def max_ptx_for_driver(driver_version):
    """The newest PTX ISA a driver of cuDriverGetVersion() == `driver_version` accepts."""
    version = cuda_version(driver_version)
    known = [v for v in DRIVER_PTX if v <= version]
    if not known:
        raise FailedPreconditionError(
            f"CUDA driver {version[0]}.{version[1]} is older than 11.0; update the NVIDIA driver")
    if version > max(DRIVER_PTX):  # newer than this table: at least what the newest entry takes
        return DRIVER_PTX[max(DRIVER_PTX)]
    return DRIVER_PTX[max(known)]


def target_for(capability):
    """The `sm_XX` name of a compute capability (9, 0) -> "sm_90"."""
    return f"sm_{capability[0]}{capability[1]}"


def read_header(ptx):
    """((major, minor) of `.version`, `.target` name) of PTX text (None where absent)."""
    v = re.search(r'^\s*\.version\s+(\d+)\.(\d+)', ptx, re.M)
    t = re.search(r'^\s*\.target\s+(sm_\w+)', ptx, re.M)
    return ((int(v.group(1)), int(v.group(2))) if v else None), (t.group(1) if t else None)


def choose(driver_version, capability, emitted, ptxas_max=None):
    """(ptx version, target) for PTX emitted with ISA `emitted` on a device of `capability`.

    Raises FailedPreconditionError when the target needs a PTX ISA newer than the driver (or
    the ptxas assembling it, `ptxas_max`) accepts."""
    target = target_for(capability)
    limit = max_ptx_for_driver(driver_version)
    if ptxas_max is not None:
        limit = min(limit, ptxas_max)
    need = TARGET_MIN_PTX.get(target, emitted or (6, 0))
    want = max(need, emitted or need)
    if need > limit:
        raise FailedPreconditionError(
            f"the device is {target}, which needs PTX ISA {need[0]}.{need[1]}, but the CUDA "
            f"driver {'/ptxas ' if ptxas_max else ''}accepts at most {limit[0]}.{limit[1]}: "
            "update the NVIDIA driver")
    return min(want, limit), target


def rewrite_header(ptx, version, target):
    """PTX text with its `.version` and `.target` lines set to `version` and `target`
    (the address size and other directives are kept)."""
    ptx = re.sub(r'^(\s*)\.version\s+\d+\.\d+', rf'\g<1>.version {version[0]}.{version[1]}', ptx,
                 count=1, flags=re.M)
    ptx = re.sub(r'^(\s*)\.target\s+sm_\w+', rf'\g<1>.target {target}', ptx, count=1, flags=re.M)
    return ptx
