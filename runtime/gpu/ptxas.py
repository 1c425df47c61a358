"""NVIDIA's PTX assembler: finding it, its version, PTX -> cubin, and resource usage.

`find()` looks at $AUTOGRAPH_JIT_PTXAS, the PATH, $CUDA_HOME/bin, /usr/local/cuda/bin and the
`nvidia-cuda-nvcc` wheel (pip's CUDA toolkit, present where JAX-CUDA is). `assemble(ptx, sm)`
runs it with `-v` (and `--split-compile` on machines with 4+ CPUs) and returns the cubin with its resource usage (registers, shared memory,
spills) parsed from the report. A failure raises `PtxasError` (an InvalidArgumentError) with
ptxas' message and a command that repeats it (the PTX is kept in a file for that).

Example:
    result = assemble(ptx_text, "sm_80")
    result.cubin, result.usage["registers"]
"""
import dataclasses
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile

from autograph_jit.errors import InvalidArgumentError, UnavailableError
from .ptx_version import DRIVER_PTX, max_ptx_for_driver


class PtxasError(InvalidArgumentError):
    """ptxas refused a PTX module: `.message` holds its output and a command to repeat it."""


@dataclasses.dataclass
class Assembled:
    """A cubin and what ptxas reported about each kernel."""

    cubin: bytes
    usage: dict          # kernel -> {"registers", "shared_bytes", "spill_stores", ...}
    log: str


def _wheel_ptxas():
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvcc")
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(loc, "bin", "ptxas")
        if os.path.isfile(path):
            return path
    return None


@functools.lru_cache(maxsize=None)
def find():
    """Path to ptxas, or None when there is none."""
    env = os.environ.get("AUTOGRAPH_JIT_PTXAS")
    if env:
        return env if os.path.isfile(env) else None
    path = shutil.which("ptxas")
    if path:
        return path
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root and os.path.isfile(os.path.join(root, "bin", "ptxas")):
            return os.path.join(root, "bin", "ptxas")
    return _wheel_ptxas()


def require():
    """Path to ptxas; UnavailableError saying how to get one when there is none."""
    path = find()
    if path is None:
        raise UnavailableError(
            "ptxas (NVIDIA's PTX assembler) was not found: install the CUDA toolkit or "
            "`pip install nvidia-cuda-nvcc-cu12`, or set AUTOGRAPH_JIT_PTXAS to its path")
    return path


def toolkit_root(path=None):
    """The CUDA toolkit folder ptxas belongs to (following a wrapper script that execs the
    toolkit's own ptxas), or None."""
    path = path or find()
    if path is None:
        return None
    real = os.path.realpath(path)
    try:
        with open(real, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head.startswith(b"#!"):
        m = re.search(rb'exec\s+"?([^"\s]+ptxas)', head)
        if m:
            real = os.path.realpath(m.group(1).decode())
    return os.path.dirname(os.path.dirname(real))


def find_libdevice():
    """Path to libdevice.10.bc (the toolkit's, $CUDA_HOME's or the nvcc wheel's), or None."""
    roots = [toolkit_root(), os.environ.get("CUDA_HOME"), "/usr/local/cuda"]
    wheel = _wheel_ptxas()
    if wheel:
        roots.append(os.path.dirname(os.path.dirname(wheel)))
    for root in roots:
        if root:
            path = os.path.join(root, "nvvm", "libdevice", "libdevice.10.bc")
            if os.path.isfile(path):
                return path
    return None


@functools.lru_cache(maxsize=None)
def version(path=None):
    """(major, minor) of ptxas' release (13, 0)."""
    out = subprocess.run([path or require(), "--version"], capture_output=True, text=True,
                         timeout=60).stdout
    m = re.search(r'release (\d+)\.(\d+)', out)
    if not m:
        raise UnavailableError(f"could not read the version of ptxas at {path}: {out!r}")
    return int(m.group(1)), int(m.group(2))


@functools.lru_cache(maxsize=None)
def split_compile_args(path=None):
    """["--split-compile", "N"] where ptxas has the option (it optimizes a module's kernels on
    N threads; "minimal (if any) impact" on the code, says its help) and this machine has 4 or
    more CPUs to give it; [] otherwise (on 2 shared cores it only adds overhead)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not cpus or cpus < 4:
        return []
    out = subprocess.run([path or require(), "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    return ["--split-compile", str(min(cpus, 16))] if "--split-compile" in out else []


def max_ptx_isa(ptxas_version):
    """The newest PTX ISA a ptxas of this release accepts."""
    if ptxas_version in DRIVER_PTX:
        return DRIVER_PTX[ptxas_version]
    return max_ptx_for_driver(ptxas_version[0] * 1000 + ptxas_version[1] * 10)


def parse_usage(log):
    """kernel -> resource usage from ptxas -v output.

    Example: 'ptxas info    : Function properties for k ... Used 12 registers, used 0 barriers,
    1024 bytes smem' gives {'k': {'registers': 12, 'shared_bytes': 1024, ...}}."""
    usage = {}
    current = None
    for line in log.splitlines():
        m = re.search(r"(?:Compiling entry function|Function properties for) '?([\w$.]+)'?", line)
        if m:
            current = usage.setdefault(m.group(1), {"registers": 0, "shared_bytes": 0,
                                                     "spill_stores": 0, "spill_loads": 0,
                                                     "stack_bytes": 0})
            continue
        if current is None:
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill "
                      r"loads", line)
        if m:
            current["stack_bytes"] = int(m.group(1))
            current["spill_stores"] = int(m.group(2))
            current["spill_loads"] = int(m.group(3))
        m = re.search(r"Used (\d+) registers", line)
        if m:
            current["registers"] = int(m.group(1))
        m = re.search(r"(\d+) bytes smem", line)
        if m:
            current["shared_bytes"] = int(m.group(1))
    return usage


def assemble(ptx, sm, extra_args=(), timeout=120):
    """Assemble PTX text for `sm` ("sm_90"); an Assembled (cubin, usage, log).

    Raises PtxasError (ptxas refused it; the message has its output and a repro command),
    UnavailableError (no ptxas)."""
    exe = require()
    keep = tempfile.mkdtemp(prefix="autograph_jit-ptxas-")
    src = os.path.join(keep, "kernel.ptx")
    out = os.path.join(keep, "kernel.cubin")
    with open(src, "w") as fh:
        fh.write(ptx)
    cmd = [exe, f"-arch={sm}", "-v", "-O3", *split_compile_args(exe), *extra_args, src, "-o",
           out]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PtxasError(f"ptxas ran past {timeout} s; repeat with: {' '.join(cmd)}") from None
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or not os.path.isfile(out):
        raise PtxasError(f"ptxas refused the PTX for {sm} (exit {proc.returncode}):\n"
                         f"{log.strip()}\nrepeat with: {' '.join(cmd)}")
    with open(out, "rb") as fh:
        cubin = fh.read()
    shutil.rmtree(keep, ignore_errors=True)
    return Assembled(cubin, parse_usage(log), log)
