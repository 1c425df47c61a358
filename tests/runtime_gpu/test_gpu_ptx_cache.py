"""The GPU compile pipeline's caches and shortcuts: PTX is compiled once per (IR, target,
toolchain) — memory, then disk (a corrupted entry is compiled again), switched off with
AUTOGRAPH_JIT_CACHE=0 — and libdevice's unreferenced functions are dropped before O3, so the
PTX holds only the functions the kernels reach."""
import re

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import target
from autograph_jit.codegen.gpu.function import GpuFunction
from autograph_jit.runtime.gpu import ptx_cache


def _ir(fn, *args):
    cf = tf.function(fn, backend="eager").get_concrete_function(*args)
    return GpuFunction(cf.optimized_graph, "f").prepare([np.asarray(a) for a in args]).ir_text


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("AUTOGRAPH_JIT_CACHE", raising=False)
    ptx_cache.clear_memory()
    yield tmp_path
    ptx_cache.clear_memory()


def test_ptx_is_compiled_once_then_read_from_memory_then_from_disk(fresh_cache):
    ir = _ir(lambda x: tf.exp(x) * 3.0 + 1.0, np.ones(37, np.float32))
    before = dict(ptx_cache.stats)
    entries = len(list(fresh_cache.rglob("*.ptx")))   # (prepare compiled for sm_75)
    first = target.compile_ptx(ir, 80)
    again = target.compile_ptx(ir, 80)
    ptx_cache.clear_memory()
    from_disk = target.compile_ptx(ir, 80)
    assert first == again == from_disk
    assert ptx_cache.stats["misses"] - before["misses"] == 1
    assert ptx_cache.stats["hits"] - before["hits"] == 1
    assert ptx_cache.stats["disk_hits"] - before["disk_hits"] == 1
    assert len(list(fresh_cache.rglob("*.ptx"))) == entries + 1
    other_target = target.compile_ptx(ir, 90)
    assert other_target[1] != first[1] and ".target sm_90" in other_target[1]


def test_a_corrupted_ptx_entry_is_compiled_again(fresh_cache):
    ir = _ir(lambda x: x * 2.0 - 1.0, np.ones(5, np.float32))
    good = target.compile_ptx(ir, 75)
    (entry,) = fresh_cache.rglob("*.ptx")   # (the one prepare made)
    entry.write_bytes(entry.read_bytes()[:-10] + b"garbage!!!")
    ptx_cache.clear_memory()
    misses = ptx_cache.stats["misses"]
    assert target.compile_ptx(ir, 75) == good
    assert ptx_cache.stats["misses"] == misses + 1


def test_the_cache_switch_off_compiles_every_time_and_writes_nothing(fresh_cache, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    ir = _ir(lambda x: x + 4.0, np.ones(3, np.float32))
    target.compile_ptx(ir, 75)
    assert list(fresh_cache.rglob("*.ptx")) == []


def test_libdevice_is_linked_only_as_far_as_the_kernels_reach(fresh_cache):
    ir = _ir(lambda x: tf.pow(x, 2.5) + tf.math.erf(x), np.ones(9, np.float32))
    assert "__nv_" in ir
    optimized, ptx = target._compile_ptx(ir, 80)
    defined = re.findall(r"^define[^@]*@\"?([\w.]+)", optimized, re.M)
    assert len(defined) < 40, defined     # libdevice has ~350 functions
    assert ptx.count(".entry") == ir.count("define void")
