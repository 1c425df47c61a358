"""The CUDA driver glue against a stand-in libcuda (fake_libcuda.c, compiled here; skipped
without a C compiler): ctypes signatures, copies, module loading (cubin from ptxas when it is not
newer than the driver, else PTX for the driver to compile), parameter packing at launch, and
errors by CUDA name. Each case runs in a new process (the driver loads once per process)."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CC = shutil.which("cc") or shutil.which("gcc")

pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler to build the stand-in")

SCRIPT = textwrap.dedent("""
    import ctypes, sys
    import numpy as np
    sys.path.insert(0, "tests")
    import autograph_jit
    from autograph_jit import errors
    from autograph_jit.runtime.gpu import get_device, KernelModule, ptxas
    from runtime_gpu import kernels
    fake = ctypes.CDLL(sys.argv[1])
    dev = get_device("cuda")
    print("device", dev.name, dev.compute_capability, dev.driver_version)
    a = np.arange(10, dtype=np.float32)
    b = dev.to_device(a)
    c = dev.alloc(a.nbytes)
    dev.copy_dtod(c, b)
    print("copy", dev.to_host(c, (10,), np.float32).tolist() == a.tolist())
    m = dev.load_module(KernelModule("axpy", kernels.grid_stride_add()))
    print("load", m.load_report, m.target, ctypes.c_int.in_dll(fake, "loaded_kind").value)
    m.launch("axpy", grid=(7,), block=(32,), args=[b, c, np.float32(2), np.int32(10)])
    log = (ctypes.c_uint64 * 16).in_dll(fake, "launch_log")
    print("launch", log[0], log[1], log[3] == b.ptr)
    try:
        m.launch("axpy", grid=1, block=1, args=[b, c, np.float64(2), np.int32(1)])
    except errors.InvalidArgumentError as e:
        print("size", "takes 8 bytes but the parameter has 4" in str(e))
    try:
        m.launch("missing", grid=1, block=1, args=[])
    except errors.NotFoundError as e:
        print("notfound", "no kernel" in str(e))
    b.free()
    dev.synchronize()
""")


def _run(tmp_path, driver_version):
    lib = tmp_path / "libfakecuda.so"
    subprocess.run([CC, "-shared", "-fPIC", "-O1", "-o", str(lib),
                    os.path.join(HERE, "fake_libcuda.c")], check=True)
    env = dict(os.environ, AUTOGRAPH_JIT_LIBCUDA=str(lib), PYTHONPATH=ROOT,
               FAKE_CUDA_DRIVER_VERSION=str(driver_version),
               AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(lib)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def test_driver_glue_with_an_older_driver_loads_ptx(tmp_path):
    got = _run(tmp_path, 11080)
    assert got["device"] == "Fake H100 (9, 0) 11080"
    assert got["copy"] == "True"
    assert got["load"].startswith("PTX compiled by the driver") and got["load"].endswith(" 2")
    assert got["launch"] == "7 32 True"
    assert got["size"] == "True" and got["notfound"] == "True"


@pytest.mark.skipif(__import__("autograph_jit.runtime.gpu.ptxas", fromlist=["x"]).find() is None,
                    reason="ptxas is not on this machine")
def test_driver_glue_prefers_a_cached_cubin_when_ptxas_is_not_newer(tmp_path):
    got = _run(tmp_path, 99000)
    assert got["load"].startswith("cubin from ptxas") and got["load"].endswith("sm_90 1")
    assert list((tmp_path / "cache").rglob("*.cubin"))
