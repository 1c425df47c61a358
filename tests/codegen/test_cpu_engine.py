"""runtime/cpu_engine.py: host target, compilation, and the on-disk object cache (hits, misses,
corrupted and foreign files, switched off)."""
import ctypes
import os

import numpy as np
import pytest

from autograph_jit.runtime import cpu_engine

IR = """
define i32 @add1(ptr noalias %a, ptr noalias %b, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%i2, %loop]
  %pa = getelementptr float, ptr %a, i64 %i
  %x = load float, ptr %pa
  %y = fadd float %x, %K
  %pb = getelementptr float, ptr %b, i64 %i
  store float %y, ptr %pb
  %i2 = add i64 %i, 1
  %c = icmp slt i64 %i2, %n
  br i1 %c, label %loop, label %exit
exit:
  ret i32 0
}
"""


def _ir(k):
    return IR.replace("%K", repr(float(k)))


def _run(mod):
    fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(
        mod.address("add1"))
    a = np.arange(5, dtype=np.float32)
    b = np.empty_like(a)
    fn(a.ctypes.data, b.ctypes.data, 5)
    return b


def _entries(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".o")]


def test_host_target_uses_the_host_cpu_name_and_features():
    info = cpu_engine.host_info()
    assert info["cpu"] and info["cpu"] != "generic"
    assert "+sse2" in info["features"]


def test_second_compile_of_the_same_ir_loads_object_code_from_disk(cache):
    first = cpu_engine.compile_ir(_ir(2.0))
    second = cpu_engine.compile_ir(_ir(2.0))
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(_run(second), np.arange(5) + 2.0)
    assert len(_entries(cache)) == 1


def test_different_ir_gets_a_different_cache_entry(cache):
    cpu_engine.compile_ir(_ir(3.0))
    cpu_engine.compile_ir(_ir(4.0))
    assert len(_entries(cache)) == 2


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign"])
def test_corrupted_or_foreign_cache_files_are_ignored_and_recompiled(cache, damage):
    cpu_engine.compile_ir(_ir(5.0))
    (path,) = _entries(cache)
    blob = open(path, "rb").read()
    if damage == "truncate":
        blob = blob[:len(blob) // 2]
    elif damage == "flip":
        blob = blob[:-10] + bytes(b ^ 0xFF for b in blob[-10:])
    else:
        blob = b"\x7fELF" + os.urandom(200)
    with open(path, "wb") as fh:
        fh.write(blob)
    again = cpu_engine.compile_ir(_ir(5.0))
    assert not again.from_cache
    np.testing.assert_array_equal(_run(again), np.arange(5) + 5.0)


def test_cache_switched_off_writes_nothing(cache, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    a = cpu_engine.compile_ir(_ir(6.0))
    b = cpu_engine.compile_ir(_ir(6.0))
    assert not a.from_cache and not b.from_cache
    assert _entries(cache) == []


def test_cache_key_depends_on_cpu_features_and_versions(monkeypatch):
    key = cpu_engine.cache_key(_ir(1.0))
    state = cpu_engine._init()
    monkeypatch.setitem(state, "features", state["features"] + ",+imaginary")
    assert cpu_engine.cache_key(_ir(1.0)) != key


def test_timings_name_the_llvm_stages(cache):
    mod = cpu_engine.compile_ir(_ir(7.0))
    assert [n for n, _ in mod.timings] == ["llvm optimize", "machine code"]
    assert "add1" in mod.asm()


def test_optimized_ir_and_asm_of_a_cache_hit_show_the_optimized_code(cache):
    first = cpu_engine.compile_ir(_ir(4.0))
    second = cpu_engine.compile_ir(_ir(4.0))
    assert second.from_cache
    assert second.optimized_ir == first.optimized_ir
    assert "<" in second.optimized_ir and "x float>" in second.optimized_ir  # vectorized
    assert second.asm() == first.asm()


def test_the_layout_check_reads_the_entrys_offsets_without_compiling(monkeypatch):
    from autograph_jit.codegen.llvm import executable
    monkeypatch.setattr(executable, "_abi_checked", [])
    compiled = []
    monkeypatch.setattr(cpu_engine, "compile_ir", lambda *a, **k: compiled.append(a))
    executable.check_abi()
    assert executable._abi_checked and not compiled


def test_the_layout_check_refuses_a_layout_the_entry_would_misread(monkeypatch):
    from autograph_jit.codegen.llvm import executable
    monkeypatch.setattr(executable, "_abi_checked", [])
    monkeypatch.setattr(executable, "_ARRAY_DATA", 24)     # (as if the data pointer moved)
    with pytest.raises(RuntimeError, match="backend='eager'"):
        executable.check_abi()
    assert not executable._abi_checked
