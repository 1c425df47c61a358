"""The same kernels on the device named by $AUTOGRAPH_JIT_GPU (default here: the emulator):
`AUTOGRAPH_JIT_GPU=cuda pytest -m gpu tests/runtime_gpu` runs them on a real GPU (the device
check, benchmarks/gpu_check.py, does), where a missing driver is a failure, not a skip."""
import os

import numpy as np
import pytest

from autograph_jit.runtime.gpu import KernelModule, get_device, ptxas

from . import kernels
from ._nvptx import link_libdevice

pytestmark = pytest.mark.gpu
GRIDS = [((1,), (1,)), ((7,), (32,)), ((80,), (256,)), ((1024,), (128,))]


@pytest.fixture(scope="module")
def dev():
    return get_device(os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator")


def _run(dev, name, ir, kernel, grid, block, args):
    mod = dev.load_module(KernelModule(name, ir))
    mod.launch(kernel, grid=grid, block=block, args=args)
    dev.synchronize()
    return mod


@pytest.mark.parametrize("grid,block", GRIDS)
def test_map_over_odd_grids(dev, grid, block):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 100_003)).astype(np.float32)
    by = dev.to_device(y)
    _run(dev, "axpy", kernels.grid_stride_add(), "axpy", grid, block,
         [dev.to_device(x), by, np.float32(-0.5), np.int32(x.size)])
    np.testing.assert_array_equal(dev.to_host(by, x.shape, np.float32), np.float32(-0.5) * x + y)


def test_planted_swap_is_wrong_on_the_device_too(dev):
    x = np.ones(1000, np.float32)
    by = dev.to_device(np.zeros(1000, np.float32))
    _run(dev, "swap", kernels.grid_stride_add(swap=True), "axpy", (7,), (32,),
         [dev.to_device(x), by, np.float32(1), np.int32(1000)])
    assert not (dev.to_host(by, x.shape, np.float32) == 1).all()


@pytest.mark.parametrize("grid,block", [((1,), (1,)), ((7,), (32,)), ((80,), (256,))])
def test_block_reduction(dev, grid, block):
    x = np.random.default_rng(2).standard_normal(50_000).astype(np.float32)
    out = dev.alloc(4 * grid[0])
    _run(dev, "bsum", kernels.block_sum(), "block_sum", grid, block,
         [dev.to_device(x), out, np.int32(x.size)])
    got = dev.to_host(out, (grid[0],), np.float32).astype(np.float64).sum()
    np.testing.assert_allclose(got, x.astype(np.float64).sum(), rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("grid,block", [((1,), (32,)), ((7,), (64,)), ((80,), (256,))])
def test_warp_shuffle_reduction(dev, grid, block):
    x = (np.arange(30_000) % 5).astype(np.float32)
    nwarps = grid[0] * block[0] // 32
    out = dev.alloc(4 * nwarps)
    _run(dev, "wsum", kernels.warp_sum(), "warp_sum", grid, block,
         [dev.to_device(x), out, np.int32(x.size)])
    assert dev.to_host(out, (nwarps,), np.float32).sum() == x.sum()


def test_two_dimensional_indexing(dev):
    out = dev.alloc(4 * 3 * 5 * 8 * 4)
    _run(dev, "ids", kernels.index_2d(), "ids", (3, 5), (8, 4), [out])
    np.testing.assert_array_equal(dev.to_host(out, (480,), np.int32), np.arange(480))


@pytest.mark.skipif(ptxas.find_libdevice() is None, reason="libdevice is not on this machine")
def test_libdevice_exp(dev):
    x = np.linspace(-10, 10, 4097).astype(np.float32)
    out = dev.alloc(x.nbytes)
    _run(dev, "exp", link_libdevice(kernels.libdevice_exp()), "expk", (17,), (256,),
         [dev.to_device(x), out, np.int32(x.size)])
    np.testing.assert_allclose(dev.to_host(out, x.shape, np.float32), np.exp(x), rtol=2e-6)


def test_dynamic_shared_memory(dev):
    x = np.arange(7 * 64, dtype=np.float32)
    out = dev.alloc(x.nbytes)
    mod = dev.load_module(KernelModule("rev", kernels.reverse_in_shared()))
    mod.launch("rev", grid=(7,), block=(64,), args=[dev.to_device(x), out], shared_bytes=64 * 4)
    dev.synchronize()
    np.testing.assert_array_equal(dev.to_host(out, x.shape, np.float32),
                                  x.reshape(7, 64)[:, ::-1].reshape(-1))
