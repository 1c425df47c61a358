"""Fixtures of the GPU backend's tests: a device to run on without a GPU (runtime/gpu's grid
emulator), odd launch sizes, and ptxas on every kernel module a test compiles (sm_75, sm_80,
sm_90; skipped without ptxas)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import function as gpu_function
from autograph_jit.codegen.gpu import kernel as gpu_kernel
from autograph_jit.codegen.gpu.target import compile_ptx, ptxas, toolkit

SM_TARGETS = (75, 80, 90)
_assembled = set()


def emulator_device():
    """runtime/gpu's grid emulator."""
    from autograph_jit.runtime.gpu import get_device
    return get_device("emulator")


def assemble_all(plan):
    """The plan's kernel module compiled to PTX for every target, and ptxas accepts each
    (skipped without ptxas)."""
    if toolkit()["ptxas"] is None or plan.ir_text in _assembled:
        return
    for sm in SM_TARGETS:
        ptxas(compile_ptx(plan.ir_text, sm)[1], sm)
    _assembled.add(plan.ir_text)


@pytest.fixture
def device(monkeypatch):
    """backend='gpu' runs on the emulator, with odd launch sizes (3 blocks at most of 64
    threads: grid-stride loops wrap, reductions take several rows a block)."""
    dev = emulator_device()
    monkeypatch.setattr(gpu_function, "get_device", lambda kind=None: dev)
    monkeypatch.setattr(gpu_kernel.LAUNCH, "block", 64)
    monkeypatch.setattr(gpu_kernel.LAUNCH, "max_blocks", 3)
    monkeypatch.setattr(gpu_kernel.LAUNCH, "reduce_block", 64)
    return dev


def run_both(fn, *args, rtol=1e-5, atol=1e-6, **kwargs):
    """fn on backend='gpu' (then its PTX through ptxas) and eagerly; assert they agree.
    strict=True by default: every op must run on the (emulated) GPU."""
    kwargs.setdefault("strict", True)
    gpu = tf.function(fn, backend="gpu", **kwargs)
    got = gpu(*args)
    want = fn(*args)
    got_l = got if isinstance(got, (tuple, list)) else [got]
    want_l = want if isinstance(want, (tuple, list)) else [want]
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, w)
    cf = gpu.get_concrete_function(*args)
    assemble_all(cf._gpu.last_plan())
    return gpu, cf
