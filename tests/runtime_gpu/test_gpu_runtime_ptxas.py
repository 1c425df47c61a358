"""Every hand-written kernel compiles to PTX that ptxas accepts for sm_75, sm_80 and sm_90
(skipped where ptxas is absent); ptxas' refusals become errors with its message and a repro
command; assembled cubins are cached by PTX, target and ptxas version."""
import numpy as np
import pytest

from autograph_jit import errors
from autograph_jit.runtime.gpu import KernelModule, cubin_cache, get_device, nvptx, ptxas

from . import kernels
from ._nvptx import link_libdevice

needs_ptxas = pytest.mark.skipif(ptxas.find() is None, reason="ptxas is not on this machine")
TARGETS = ["sm_75", "sm_80", "sm_90"]


@needs_ptxas
@pytest.mark.parametrize("sm", TARGETS)
@pytest.mark.parametrize("name", sorted(kernels.ALL))
def test_every_test_kernel_assembles(name, sm):
    ptx = nvptx.emit_ptx(kernels.ALL[name], sm, (7, 8))
    result = ptxas.assemble(ptx, sm)
    assert result.cubin.startswith(b"\x7fELF")
    assert list(result.usage) == KernelModule(name, kernels.ALL[name]).kernel_names()


@needs_ptxas
def test_resource_usage_is_read_from_the_report():
    result = ptxas.assemble(nvptx.emit_ptx(kernels.block_sum(), "sm_80", (7, 8)), "sm_80")
    usage = result.usage["block_sum"]
    assert usage["shared_bytes"] == 4096
    assert usage["registers"] > 0 and usage["spill_stores"] == 0


def test_resource_usage_parser_on_a_recorded_report():
    log = ("ptxas info    : Compiling entry function 'k' for 'sm_90'\n"
           "ptxas info    : Function properties for k\n"
           "    24 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads\n"
           "ptxas info    : Used 40 registers, used 1 barriers, 2048 bytes smem, 380 bytes cmem[0]\n")
    assert ptxas.parse_usage(log) == {"k": {"registers": 40, "shared_bytes": 2048,
                                            "spill_stores": 8, "spill_loads": 12,
                                            "stack_bytes": 24}}


@needs_ptxas
def test_ptxas_refusal_names_the_problem_and_a_repro_command():
    ptx = nvptx.emit_ptx(kernels.big_shared(), "sm_80", (7, 8))
    with pytest.raises(ptxas.PtxasError, match=r"(?s)shared.*repeat with: .*ptxas -arch=sm_80"):
        ptxas.assemble(ptx, "sm_80")
    with pytest.raises(errors.InvalidArgumentError):
        ptxas.assemble(ptx.replace(".visible .entry", ".visible .entri"), "sm_80")


@needs_ptxas
def test_cubins_are_cached_in_memory_and_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    cubin_cache.clear_memory()
    ptx = nvptx.emit_ptx(kernels.warp_sum(), "sm_80", (7, 8))
    before = dict(cubin_cache.stats)
    first = cubin_cache.get_or_assemble(ptx, "sm_80")
    again = cubin_cache.get_or_assemble(ptx, "sm_80")
    assert again is first
    cubin_cache.clear_memory()
    from_disk = cubin_cache.get_or_assemble(ptx, "sm_80")
    assert from_disk.cubin == first.cubin and from_disk.usage == first.usage
    assert cubin_cache.stats["misses"] - before["misses"] == 1
    assert cubin_cache.stats["disk_hits"] - before["disk_hits"] == 1
    assert list(tmp_path.rglob("*.cubin"))
    # another target is another entry
    cubin_cache.get_or_assemble(ptx.replace(".target sm_80", ".target sm_90"), "sm_90")
    assert len(list(tmp_path.rglob("*.cubin"))) == 2


def test_cache_key_depends_on_ptx_target_and_ptxas_version():
    k = cubin_cache.cache_key("ptx", "sm_80", (13, 0))
    assert k != cubin_cache.cache_key("ptx2", "sm_80", (13, 0))
    assert k != cubin_cache.cache_key("ptx", "sm_90", (13, 0))
    assert k != cubin_cache.cache_key("ptx", "sm_80", (12, 8))


@needs_ptxas
@pytest.mark.skipif(ptxas.find_libdevice() is None, reason="libdevice is not on this machine")
def test_libdevice_kernel_runs_on_the_emulator_and_assembles():
    ir = link_libdevice(kernels.libdevice_exp())
    assert "declare float @__nv_expf" not in ir and len(ir) < 20000  # linked, unused dropped
    for sm in TARGETS:
        ptxas.assemble(nvptx.emit_ptx(ir, sm, (7, 8)), sm)
    dev = get_device("emulator")
    mod = dev.load_module(KernelModule("exp", ir))
    x = np.linspace(-20, 20, 999).astype(np.float32)
    out = dev.alloc(x.nbytes)
    mod.launch("expk", grid=(4,), block=(256,), args=[dev.to_device(x), out, np.int32(999)])
    np.testing.assert_allclose(dev.to_host(out, x.shape, np.float32), np.exp(x), rtol=2e-6)
