"""Where the GPU backend's compile time goes, on the MLP Adam training step (issue 17's target:
<= 1 s cold, <= 0.1 s with the caches), and what the compile pipeline's changes bought.

    python benchmarks/gpu_compile_time.py [--rounds 5]

No GPU needed (ptxas is). Each round compiles the step's plan from its optimized graph:
lowering to LLVM IR (`gpu lowering`), the IR's text, LLVM (parse, libdevice when referenced,
O3, NVPTX codegen) and ptxas for sm_75 — cold (caches cleared, disk cache off) and warm (the
PTX and cubin caches hit, as in a new process after the first run). `llvm, before` is the
pipeline as it was (libdevice linked whole into the O3 run), `llvm, after` today's (its unused
part dropped before O3), both run in the same process and round. Medians; the load average is
printed because the machine is shared: compare the rows of one run only.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _mlp_graph():
    import autograph_jit as tf
    from tests.tracing.test_training_step import _model_and_data, _step_fn
    x, labels, params = _model_and_data()
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(params)
    cf = tf.function(_step_fn(params, opt), backend="eager").get_concrete_function(x, labels)
    return cf.optimized_graph, [np.asarray(x), np.asarray(labels)]


def _llvm_before(ir_text, sm):
    """The compile before this change: libdevice linked whole, internal, then O3 and codegen."""
    from autograph_jit.codegen.gpu import target
    llvm = target._llvm()
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    if any(f.is_declaration and f.name.startswith("__nv_") for f in mod.functions):
        lib = llvm.parse_bitcode(target._libdevice_bitcode())
        names = {f.name for f in lib.functions if not f.is_declaration}
        lib.triple = target.TRIPLE
        mod.link_in(lib)
        for f in mod.functions:
            if f.name in names and not f.is_declaration:
                f.linkage = "internal"
    tm = target._target_machine(sm)
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = False
    pto.slp_vectorization = False
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return tm.emit_assembly(mod)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    os.environ["AUTOGRAPH_JIT_CACHE"] = "0"   # cold means cold: no disk entries
    from autograph_jit.codegen.gpu import target
    from autograph_jit.codegen.gpu.function import GpuFunction
    from autograph_jit.runtime.gpu import cubin_cache, ptx_cache, ptxas
    graph, arrays = _mlp_graph()
    GpuFunction(graph, "warmup").prepare(arrays)
    rows = {}

    def add(name, seconds):
        rows.setdefault(name, []).append(seconds)

    print(f"load average {os.getloadavg()}  (2 cores shared: compare rows of this run only)")
    for _ in range(args.rounds):
        ptx_cache.clear_memory()
        cubin_cache.clear_memory()
        gf = GpuFunction(graph, "step")
        t0 = time.perf_counter()
        plan = gf.prepare(arrays)
        t1 = time.perf_counter()
        cubin_cache.get_or_assemble(plan.kernel_module.ptx, "sm_75")
        t2 = time.perf_counter()
        timings = dict(gf.timings)
        add("gpu lowering (graph -> LLVM IR)", timings["gpu lowering"])
        add("IR text + LLVM + PTX, after (cold)", timings["nvptx codegen"])
        add("ptxas sm_75 (cold)", t2 - t1)
        add("cold total, after", t2 - t0)
        t3 = time.perf_counter()
        _llvm_before(plan.ir_text, 75)
        add("LLVM + PTX, before (cold)", time.perf_counter() - t3)
        t4 = time.perf_counter()
        target._compile_ptx(plan.ir_text, 75)
        add("LLVM + PTX, after (cold)", time.perf_counter() - t4)
        gf2 = GpuFunction(graph, "step")
        t5 = time.perf_counter()
        plan2 = gf2.prepare(arrays)
        cubin_cache.get_or_assemble(plan2.kernel_module.ptx, "sm_75")
        add("warm total (PTX + cubin caches hit)", time.perf_counter() - t5)
    print(f"MLP Adam step: {len(plan.annotations)} kernels, "
          f"{plan.kernel_module.ptx.count(chr(10))} PTX lines; ptxas {ptxas.version()}")
    for name, values in rows.items():
        print(f"  {name:<40} {statistics.median(values) * 1000:8.1f} ms  "
              f"(min {min(values) * 1000:.1f})")


if __name__ == "__main__":
    main()
