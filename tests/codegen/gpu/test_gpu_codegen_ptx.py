"""The GPU compiler without a device: the MLP training step and the Collatz loop compile to PTX
that ptxas accepts for sm_75/80/90; cf.ptx() and cf.llvm_ir() are annotated with source lines;
libdevice is linked only when referenced, and internalized; forbidden intrinsics raise a Python
error instead of aborting LLVM; backend='gpu' without a device is a clear UnavailableError."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu.function import GpuFunction
from autograph_jit.codegen.gpu.target import compile_ptx, toolkit

from ...tracing.test_training_step import _model_and_data, _step_fn
from .conftest import SM_TARGETS, assemble_all


needs_ptxas = pytest.mark.skipif(toolkit()["ptxas"] is None, reason="ptxas (CUDA) not installed")


def _plan(fn, *args):
    cf = tf.function(fn, backend="eager").get_concrete_function(*args)
    gf = GpuFunction(cf.optimized_graph, "f")
    return gf, gf.prepare([np.asarray(a) for a in args])


@needs_ptxas
def test_mlp_adam_training_step_compiles_to_ptx_ptxas_accepts_with_no_host_op():
    x, labels, params = _model_and_data()
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(params)
    gf, plan = _plan(_step_fn(params, opt), x, labels)
    assert plan.host_steps() == []
    assert len(plan.annotations) >= 10
    assemble_all(plan)


@needs_ptxas
def test_collatz_loop_compiles_to_ptx_with_host_driven_control_flow():
    from .test_gpu_ops_control_state import collatz
    gf, plan = _plan(collatz, tf.constant(27))
    assert plan.host_steps() == []
    text = "\n".join(gf.report_lines())
    assert "kernels (sm_75)" in text
    assemble_all(plan)


def test_ptx_and_llvm_ir_name_the_users_source_line_above_each_kernel():
    def f(x):
        return tf.reduce_sum(tf.exp(x) * 2.0, axis=1)  # the line the annotation shows
    gf, plan = _plan(f, np.ones((4, 5), np.float32))
    ptx, ir = gf.ptx(), gf.llvm_ir()
    assert "// fusion" in ptx and "test_gpu_codegen_ptx.py" in ptx
    assert "the line the annotation shows" in ir
    assert ".visible .entry" in ptx and "nvptx64-nvidia-cuda" in ir
    assert ptx.isascii()


def test_libdevice_is_linked_only_when_referenced_and_internalized():
    _, plain = _plan(lambda x: tf.exp(x) + 1.0, np.ones(8, np.float32))
    assert "__nv_" not in plain.kernel_module.llvm_ir   # exp: the backend's own vector math
    if toolkit()["libdevice"] is None:
        pytest.skip("libdevice not installed")
    _, trig = _plan(lambda x: tf.sin(x) * tf.cos(x), np.ones(8, np.float32))
    ptx = trig.kernel_module.ptx
    assert "__nv_sinf" not in ptx and ".extern" not in ptx    # inlined, nothing left to resolve
    assert len(ptx.splitlines()) < 2000                       # not all 21,000 lines of it
    assemble_all(trig)


_FORBIDDEN = """
import autograph_jit as tf
from autograph_jit.codegen.gpu.target import compile_ptx, TRIPLE
ir = '''
target triple = "nvptx64-nvidia-cuda"
declare float @llvm.{name}.f32(float)
define void @k(ptr %p) {{
  %x = load float, ptr %p
  %y = call float @llvm.{name}.f32(float %x)
  store float %y, ptr %p
  ret void
}}
!nvvm.annotations = !{{!0}}
!0 = !{{ptr @k, !"kernel", i32 1}}
'''
try:
    compile_ptx(ir)
except tf.errors.UnimplementedError as e:
    assert "llvm.{name}.f32" in str(e), e
    print("raised")
"""


@pytest.mark.parametrize("name", ["sin", "exp"])
def test_a_forbidden_intrinsic_raises_a_python_error_and_the_process_lives(name):
    code = textwrap.dedent(_FORBIDDEN.format(name=name))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "raised"


def test_allowed_math_intrinsics_compile():
    ir = """
target triple = "nvptx64-nvidia-cuda"
declare float @llvm.sqrt.f32(float)
declare float @llvm.minnum.f32(float, float)
define void @k(ptr %p) {
  %x = load float, ptr %p
  %y = call float @llvm.sqrt.f32(float %x)
  %z = call float @llvm.minnum.f32(float %x, float %y)
  store float %z, ptr %p
  ret void
}
!nvvm.annotations = !{!0}
!0 = !{ptr @k, !"kernel", i32 1}
"""
    _, ptx = compile_ptx(ir, sm=80)
    assert "sqrt.rn.f32" in ptx and "min.f32" in ptx


@needs_ptxas
def test_ptxas_rejects_shared_memory_over_the_limit_with_a_resource_error():
    from autograph_jit.codegen.gpu.target import ptxas
    ir = """
target triple = "nvptx64-nvidia-cuda"
@big = internal addrspace(3) global [16384 x float] undef
define void @k(ptr %p, i32 %i) {
  %a = getelementptr [16384 x float], ptr addrspace(3) @big, i32 0, i32 %i
  store float 1.0, ptr addrspace(3) %a
  call void @llvm.nvvm.barrier0()
  %v = load float, ptr addrspace(3) %a
  store float %v, ptr %p
  ret void
}
declare void @llvm.nvvm.barrier0()
!nvvm.annotations = !{!0}
!0 = !{ptr @k, !"kernel", i32 1}
"""
    _, ptx = compile_ptx(ir)
    with pytest.raises((tf.errors.ResourceExhaustedError, tf.errors.InternalError),
                       match="ptxas"):
        ptxas(ptx, SM_TARGETS[0])


def test_gpu_backend_without_a_device_names_what_is_missing_and_the_alternatives(monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_JIT_GPU", raising=False)
    f = tf.function(lambda x: x + 1.0, backend="gpu")
    try:
        f(tf.constant(1.0))
    except tf.errors.UnavailableError as e:
        text = str(e)
        assert "backend='cpu'" in text and "AUTOGRAPH_JIT_GPU=emulator" in text, text
    else:  # a machine with a CUDA GPU: the call ran on it
        from autograph_jit.runtime.cuda_probe import probe
        assert probe()[0]


def test_gpu_lowering_tables_name_registered_ops():
    from autograph_jit.codegen.gpu import dispatch, k_array, k_rows, k_scan
    from autograph_jit.ops.opdef import REGISTRY, OpDef
    assert all(isinstance(k, OpDef) and REGISTRY[k.name] is k for k in dispatch.LOWERINGS)
    for table in (k_array.LOWERINGS, k_rows.LOWERINGS, k_scan.LOWERINGS):
        assert sorted(set(table) - set(REGISTRY)) == []


def test_gpu_lowering_table_is_keyed_by_opdef_and_refuses_an_unregistered_name():
    from autograph_jit.codegen.gpu.dispatch import LOWERINGS, OpTable
    from autograph_jit.ops.op_keys import op_of
    assert LOWERINGS.get(op_of("argsort")) is not None
    assert "argsort" not in LOWERINGS
    table = OpTable()
    table.update({"matmul": len})
    assert list(table) == [op_of("matmul")]
    with pytest.raises(KeyError, match="not a registered op"):
        table.update({"matmull": len})


def test_gpu_table_covers_every_op_the_cpu_backend_lowers_but_conv_pool_and_grown_arrays():
    from autograph_jit.codegen.gpu.dispatch import LOWERINGS as GPU
    from autograph_jit.codegen.llvm.dispatch import LOWERINGS as CPU
    missing = {k.name for k in CPU} - {k.name for k in GPU}
    conv_pool = {"conv2d", "conv2d_backprop_filter", "conv2d_backprop_input", "max_pool2d",
                 "max_pool_grad", "avg_pool2d", "avg_pool_grad"}
    assert missing - conv_pool <= {"shape", "size"}   # shape/size of a grown TensorArray
