"""The grid emulator runs hand-written NVPTX IR kernels like a GPU would, and turns the bugs a
GPU hides (wrong index math, writes out of bounds, diverging barriers, traps) into errors."""
import time

import numpy as np
import pytest

from autograph_jit import errors
from autograph_jit.runtime.gpu import KernelModule, get_device

from . import kernels

GRIDS = [((1,), (1,)), ((7,), (32,)), ((80,), (256,))]


@pytest.fixture(scope="module")
def dev():
    return get_device("emulator")


def _load(dev, name):
    return dev.load_module(KernelModule(name, kernels.ALL[name]))


@pytest.mark.parametrize("grid,block", GRIDS)
def test_grid_stride_map_matches_numpy_bit_for_bit(dev, grid, block):
    mod = _load(dev, "grid_stride_add")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3001).astype(np.float32)
    y = rng.standard_normal(3001).astype(np.float32)
    bx, by = dev.to_device(x), dev.to_device(y)
    mod.launch("axpy", grid=grid, block=block, args=[bx, by, np.float32(1.5), np.int32(3001)])
    np.testing.assert_array_equal(dev.to_host(by, (3001,), np.float32), np.float32(1.5) * x + y)


def test_map_kernels_run_as_plain_loops_and_reductions_as_fibers(dev):
    assert not _load(dev, "grid_stride_add").synchronizes("axpy")
    assert _load(dev, "block_sum").synchronizes("block_sum")
    assert _load(dev, "warp_sum").synchronizes("warp_sum")


def test_the_planted_ntid_nctaid_swap_gives_a_wrong_result(dev):
    good, bad = _load(dev, "grid_stride_add"), _load(dev, "planted_swap")
    x = np.arange(1, 1001, dtype=np.float32)
    want = x.copy()
    results = {}
    for label, mod in (("good", good), ("bad", bad)):
        by = dev.to_device(np.zeros(1000, np.float32))
        mod.launch("axpy", grid=(7,), block=(32,), args=[dev.to_device(x), by, np.float32(1),
                                                         np.int32(1000)])
        results[label] = dev.to_host(by, (1000,), np.float32)
    np.testing.assert_array_equal(results["good"], want)
    assert not np.array_equal(results["bad"], want)  # elements summed twice or never


@pytest.mark.parametrize("grid,block", [((1,), (1,)), ((7,), (32,)), ((80,), (256,)),
                                        ((3,), (1024,))])
def test_block_tree_reduction_with_shared_memory_and_barriers(dev, grid, block):
    mod = _load(dev, "block_sum")
    x = np.random.default_rng(1).standard_normal(5000)
    bx = dev.to_device(x.astype(np.float32))
    out = dev.alloc(4 * grid[0])
    mod.launch("block_sum", grid=grid, block=block, args=[bx, out, np.int32(5000)])
    partial = dev.to_host(out, (grid[0],), np.float32)
    np.testing.assert_allclose(partial.astype(np.float64).sum(), x.astype(np.float32).sum(),
                               rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("grid,block", [((1,), (32,)), ((7,), (64,)), ((80,), (256,))])
def test_warp_shuffle_reduction(dev, grid, block):
    mod = _load(dev, "warp_sum")
    x = np.arange(4000, dtype=np.float32) % 7
    nwarps = grid[0] * block[0] // 32
    out = dev.alloc(4 * nwarps)
    mod.launch("warp_sum", grid=grid, block=block, args=[dev.to_device(x), out, np.int32(4000)])
    assert dev.to_host(out, (nwarps,), np.float32).sum() == x.sum()  # small integers: exact


def test_shuffle_over_a_partial_warp_with_a_full_mask_raises(dev):
    mod = _load(dev, "warp_sum")
    out = dev.alloc(64)
    with pytest.raises(errors.InvalidArgumentError, match="do not exist"):
        mod.launch("warp_sum", grid=(1,), block=(48,),
                   args=[dev.to_device(np.ones(48, np.float32)), out, np.int32(48)])


def test_out_of_bounds_write_is_caught_by_the_canary(dev):
    mod = _load(dev, "unguarded_store")
    out = dev.alloc(4 * 1000, label="out")
    with pytest.raises(errors.OutOfRangeError, match=r"fill.*out.*past its end"):
        mod.launch("fill", grid=(4,), block=(256,), args=[out, np.int32(1000)])


def test_in_bounds_launch_leaves_canaries_alone(dev):
    mod = _load(dev, "unguarded_store")
    out = dev.alloc(4 * 1024)
    mod.launch("fill", grid=(4,), block=(256,), args=[out, np.int32(1024)])
    assert (dev.to_host(out, (1024,), np.float32) == 1).all()


def test_uninitialised_device_memory_reads_as_nan(dev):
    assert np.isnan(dev.to_host(dev.alloc(16), (4,), np.float32)).all()


def test_diverging_barrier_raises_at_once_instead_of_hanging(dev):
    mod = _load(dev, "diverging_barrier")
    t0 = time.monotonic()
    with pytest.raises(errors.InvalidArgumentError, match=r"diverging barrier.*threads 0-15"):
        mod.launch("diverge", grid=(2,), block=(64,), args=[dev.alloc(4)])
    assert time.monotonic() - t0 < 30


def test_a_trap_raises_and_the_process_survives(dev):
    mod = _load(dev, "trapping")
    with pytest.raises(errors.InvalidArgumentError, match=r"trapped.*thread \(3, 0, 0\)"):
        mod.launch("trapper", grid=(2,), block=(8,), args=[dev.alloc(4)])
    # the module still works afterwards
    mod.launch("trapper", grid=(1,), block=(3,), args=[dev.alloc(4)])


@pytest.mark.parametrize("grid,block", [((1, 1), (1, 1)), ((3, 5), (8, 4)), ((2, 2), (32, 8))])
def test_two_dimensional_grids_and_blocks(dev, grid, block):
    mod = _load(dev, "index_2d")
    n = grid[0] * grid[1] * block[0] * block[1]
    out = dev.alloc(4 * n)
    mod.launch("ids", grid=grid, block=block, args=[out])
    np.testing.assert_array_equal(dev.to_host(out, (n,), np.int32), np.arange(n))


def test_launch_checks_argument_kinds_and_counts(dev):
    mod = _load(dev, "grid_stride_add")
    b = dev.alloc(16)
    with pytest.raises(errors.InvalidArgumentError, match="NumPy scalar"):
        mod.launch("axpy", grid=1, block=1, args=[b, b, 1.5, np.int32(4)])
    with pytest.raises(errors.InvalidArgumentError, match="parameter is float"):
        mod.launch("axpy", grid=1, block=1, args=[b, b, np.float64(1.5), np.int32(4)])
    with pytest.raises(errors.InvalidArgumentError, match="takes 4 arguments"):
        mod.launch("axpy", grid=1, block=1, args=[b, b])
    with pytest.raises(errors.InvalidArgumentError, match="at most 1024"):
        mod.launch("axpy", grid=1, block=(64, 32), args=[b, b, np.float32(1), np.int32(4)])
    with pytest.raises(errors.NotFoundError, match="no kernel"):
        mod.launch("nope", grid=1, block=1, args=[])


def test_calls_a_gpu_does_not_have_are_refused_by_name(dev):
    ir = kernels.HEAD + '''declare float @expf(float)
define void @k(ptr addrspace(1) %o) {
  %v = call float @expf(float 1.0)
  store float %v, ptr addrspace(1) %o
  ret void
}
!nvvm.annotations = !{!0}
!0 = !{ptr @k, !"kernel", i32 1}
'''
    with pytest.raises(errors.InvalidArgumentError, match="expf"):
        dev.load_module(KernelModule("libm", ir))
    unknown = ir.replace("@expf", "@llvm.nvvm.atomic.load.add.f32.p1")
    unknown = unknown.replace("declare float @llvm.nvvm.atomic.load.add.f32.p1(float)",
                              "declare float @llvm.nvvm.atomic.load.add.f32.p1(float)")
    with pytest.raises(errors.UnimplementedError, match="atomic"):
        dev.load_module(KernelModule("atomics", unknown))


def test_static_shared_memory_over_48_kib_is_refused(dev):
    with pytest.raises(errors.ResourceExhaustedError, match="shared memory"):
        dev.load_module(KernelModule("hog", kernels.big_shared()))


def test_copies_round_trip_and_check_sizes(dev):
    a = np.arange(10, dtype=np.float64)
    b = dev.to_device(a)
    c = dev.alloc(a.nbytes)
    dev.copy_dtod(c, b)
    np.testing.assert_array_equal(dev.to_host(c, (10,), np.float64), a)
    with pytest.raises(errors.InvalidArgumentError, match="do not fit"):
        dev.copy_htod(dev.alloc(8), a)


@pytest.mark.parametrize("sync", [False, True], ids=["loop", "fibers"])
def test_a_wild_memory_access_raises_and_the_process_survives(dev, sync):
    mod = dev.load_module(KernelModule("wild", kernels.wild_load(sync)))
    assert mod.synchronizes("wild") == sync
    for _ in range(2):  # and again: the handlers were put back and installed anew
        with pytest.raises(errors.InternalError, match=r"SIGSEGV.*0x10.*thread \(5, 0, 0\)"):
            mod.launch("wild", grid=(2,), block=(32,), args=[dev.alloc(4)])
    mod.launch("wild", grid=(1,), block=(5,), args=[dev.alloc(4)])  # thread 5 absent: fine


def test_integer_division_by_zero_raises(dev):
    mod = dev.load_module(KernelModule("div", kernels.divide()))
    with pytest.raises(errors.InternalError, match=r"SIGFPE.*thread \(3, 0, 0\)"):
        mod.launch("div", grid=(1,), block=(8,), args=[dev.alloc(4)])


def test_a_launch_past_the_timeout_raises_deadline_exceeded(dev, monkeypatch):
    mod = dev.load_module(KernelModule("slow", kernels.block_sum()))
    monkeypatch.setenv("AUTOGRAPH_JIT_EMULATOR_TIMEOUT", "0.001")
    x = dev.to_device(np.ones(100_000, np.float32))
    with pytest.raises(errors.DeadlineExceededError, match="AUTOGRAPH_JIT_EMULATOR_TIMEOUT"):
        mod.launch("block_sum", grid=(400,), block=(256,), args=[x, dev.alloc(1600),
                                                                 np.int32(100_000)])
    monkeypatch.delenv("AUTOGRAPH_JIT_EMULATOR_TIMEOUT")
    time.sleep(0.5)  # (the stopped launch finishes its block and lets go of the fault handlers)
    fresh = _load(dev, "grid_stride_add")  # other modules still launch
    fresh.launch("axpy", grid=1, block=1, args=[x, x, np.float32(0), np.int32(1)])
