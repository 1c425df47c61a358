"""The GPU compile cut into one module per kernel on several threads (codegen/gpu/split.py,
runtime/llvm_pool.py, libdevice.py): the PTX does not depend on the number of threads or on timing,
ptxas makes the same cubin from it as from the module compiled whole, the optimized IR of the
parts links back into one module the emulator runs, and modules that cannot be cut compile
whole."""
import os
import re

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import libdevice, split, target
from autograph_jit.runtime import llvm_pool
from autograph_jit.codegen.gpu.function import GpuFunction


def _ir(fn, *args):
    cf = tf.function(fn, backend="eager").get_concrete_function(*args)
    return GpuFunction(cf.optimized_graph, "f").prepare([np.asarray(a) for a in args]).ir_text


def _many_kernels_ir():
    """A module of several kernels: a reduction (shared memory), elementwise maps, libdevice."""
    x = np.linspace(-2, 2, 77, dtype=np.float32).reshape(7, 11)
    return _ir(lambda a: (tf.reduce_sum(tf.pow(a, 3.0), axis=1), tf.reduce_max(a, axis=0),
                          tf.nn.relu(a) * 2.0), x)


def test_a_module_of_several_kernels_is_cut_into_parts_holding_only_their_kernels():
    ir = _many_kernels_ir()
    parts = split.split_kernels(ir)
    kernels = re.findall(r'!"kernel"', ir)
    assert parts is not None and len(parts) == len(kernels) >= 3
    for names, text in parts:
        assert len(names) == 1 and f'define void @"{names[0]}"' in text
        assert text.count('!"kernel"') == 1      # only its own annotation
    two = split.split_kernels(ir, most=2)
    assert len(two) == 2 and sum((names for names, _ in two), ()) == \
        sum((names for names, _ in parts), ())   # all kernels, in module order
    for names, text in two:
        assert text.count('!"kernel"') == len(names) == len(re.findall(r"^define void", text,
                                                                        re.M))


def test_ptx_does_not_depend_on_the_number_of_compile_threads(monkeypatch):
    ir = _many_kernels_ir()
    results = []
    for threads in ("1", "3", "8"):
        monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", threads)
        results.append(target._compile_ptx(ir, 80))
    assert results[0] == results[1] == results[2]


def test_the_joined_ptx_assembles_to_the_cubin_of_the_module_compiled_whole():
    if target.toolkit()["ptxas"] is None:
        pytest.skip("no ptxas")
    from autograph_jit.runtime.gpu import ptxas
    ir = _many_kernels_ir()
    _, joined = target._compile_ptx(ir, 75)
    _, whole = target._compile_module(ir, 75)
    assert joined != whole     # (labels count per part; see split.py)
    assert ptxas.assemble(joined, "sm_75").cubin == ptxas.assemble(whole, "sm_75").cubin


def test_parts_of_several_kernels_sharing_the_shared_array_join_to_the_same_cubin():
    if target.toolkit()["ptxas"] is None:
        pytest.skip("no ptxas")
    from autograph_jit.runtime.gpu import ptxas
    ir = _many_kernels_ir()
    parts = split.split_kernels(ir, most=2)
    joined = split.join_ptx([target._compile_module(text, 80, part=True)[1]
                             for _, text in parts])
    assert joined is not None and joined.count("agj_shared[") >= 1
    _, whole = target._compile_module(ir, 80)
    assert ptxas.assemble(joined, "sm_80").cubin == ptxas.assemble(whole, "sm_80").cubin


def test_the_optimized_parts_link_into_one_module_with_one_shared_array():
    ir = _many_kernels_ir()
    optimized, _ = target._compile_ptx(ir, 75)
    kernels = [name for names, _ in split.split_kernels(ir) for name in names]
    for name in kernels:
        assert re.search(rf'define [^@\n]*@"?{re.escape(name)}"?\(', optimized)
    shared = re.findall(r"^@[\w.\"]+ = .*addrspace\(3\) global", optimized, re.M)
    assert len(shared) == 1 and "internal" in shared[0]
    assert "__nv_powf" in ir      # libdevice linked into its part, inlined and dropped
    assert not re.search(r"^(declare|define)[^\n]*@__nv_powf", optimized, re.M)


def test_a_step_compiled_on_threads_runs_on_the_emulator_like_eager():
    from autograph_jit.runtime.gpu import get_device
    x = np.linspace(-1, 1, 60, dtype=np.float32).reshape(6, 10)

    def f(a):
        return tf.reduce_mean(tf.exp(a) * a, axis=1), tf.reduce_sum(tf.pow(a, 2.0))
    cf = tf.function(f, backend="eager").get_concrete_function(x)
    gf = GpuFunction(cf.optimized_graph, "f", device_kind="emulator")
    gf._device = get_device("emulator")
    got = gf([x])
    want = [np.mean(np.exp(x) * x, axis=1), np.sum(x ** 2)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_one_kernel_or_an_unknown_shape_is_not_cut():
    one = _ir(lambda a: a * 2.0 + 1.0, np.ones(9, np.float32))
    assert split.split_kernels(one) is None
    assert split.split_kernels("define void @f() {\nentry:\n  ret void\n") is None


def test_ptx_with_module_scope_items_is_not_joined():
    head = "//\n.version 6.4\n.target sm_75\n.address_size 64\n"
    entry = "\n.visible .entry k(\n)\n{\n\tret;\n\n}\n"
    assert split.join_ptx([head + entry, head + entry.replace(" k(", " j(")]) == \
        head + entry + entry.replace(" k(", " j(")
    other = head.replace("sm_75", "sm_80")
    assert split.join_ptx([head + entry, other + entry]) is None
    func = "\n.func (.param .b32 r) f(\n)\n{\n\tret;\n}\n"
    assert split.join_ptx([head + func + entry, head + entry]) is None
    shared = ".shared .align 16 .b8 agj_shared[2048];"
    joined = split.join_ptx([head + f"\n{shared}\n" + entry, head + f"\n{shared}\n" + entry])
    assert joined.count(shared) == 1 and joined.index(shared) < joined.index(".entry")
    bigger = shared.replace("2048", "4096")
    assert split.join_ptx([head + f"\n{shared}\n" + entry, head + f"\n{bigger}\n" + entry]) \
        is None


def test_libdevice_is_cut_once_per_name_set_to_what_the_calls_reach():
    if target.toolkit()["libdevice"] is None:
        pytest.skip("no libdevice")
    llvm = target._llvm()
    names = frozenset({"__nv_powf"})
    bitcode, defined = libdevice._subset(names, llvm, target.toolkit, target.TRIPLE,
                                         target._target_machine(75))
    assert "__nv_powf" in defined and len(defined) < 40
    assert libdevice._subset(names, llvm, target.toolkit, target.TRIPLE,
                             target._target_machine(75))[0] is bitcode   # cached


def test_compile_threads_setting_and_status(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "3")
    assert llvm_pool.pool_size() == 3
    monkeypatch.delenv("AUTOGRAPH_JIT_COMPILE_THREADS")
    assert 1 <= llvm_pool.pool_size() <= 16
    assert set(llvm_pool.status()) == {"threads", "unlocked"}


def test_map_ordered_keeps_job_order_and_raises_the_first_jobs_error(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "4")
    assert llvm_pool.map_ordered(lambda j: j * j, range(10)) == [j * j for j in range(10)]

    def job(j):
        if j in (3, 7):
            raise ValueError(f"job {j}")
        return j
    with pytest.raises(ValueError, match="job 3"):
        llvm_pool.map_ordered(job, range(10))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_compiles_on_threads_of_its_own():
    ir = _many_kernels_ir()
    want = target._compile_ptx(ir, 80)[1]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: a fresh pool, the same PTX
        try:
            os.close(r)
            ok = target._compile_ptx(ir, 80)[1] == want
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.waitpid(pid, 0)
    assert got == b"1"


def test_a_part_llvm_refuses_sends_the_module_whole_through_llvm(monkeypatch):
    ir = _many_kernels_ir()
    want = target._compile_module(ir, 80)
    monkeypatch.setattr(target, "split_kernels",
                        lambda text: [(("k",), "this is not LLVM IR"), (("j",), text)])
    assert target._compile_ptx(ir, 80) == want


def test_a_declaration_nvptx_cannot_compile_is_refused_in_a_part():
    from autograph_jit.errors import UnimplementedError
    ir = _many_kernels_ir()
    name, text = split.split_kernels(ir)[0][0][0], ir
    bad = text.replace(f'define void @"{name}"(', 'declare float @"llvm.sin.f32"(float)\n'
                       f'define void @"{name}"(', 1)
    bad = re.sub(rf'(define void @"{name}"\([^\n]*\n\{{\nentry:\n)',
                 r'\1  %bad.sin = call float @"llvm.sin.f32"(float 1.0)\n', bad, count=1)
    with pytest.raises(UnimplementedError, match="llvm.sin.f32"):
        target._compile_ptx(bad, 75)
