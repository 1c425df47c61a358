"""Where the GPU backend's compile time goes, on the MLP Adam training step (issue 17's target:
<= 1 s cold, <= 0.1 s with the caches), phase by phase, before and after the compile threads.

    python benchmarks/gpu_compile_time.py [--rounds 3] [--model mlp|cnn]

No GPU needed (ptxas is). Each round, in one process: trace, graph passes, GPU lowering (graph ->
LLVM IR objects), the IR's text; then LLVM two ways on the same IR — `before`: the module whole
on one thread (parse, libdevice parsed and linked whole, made internal and its unreferenced
part dropped, O3, NVPTX codegen: the pipeline as it was), and `after`: target.compile_ptx's
pipeline (cut into at most 8 parts of whole kernels, compiled on the compile threads,
libdevice's reached part cut once per process, PTX joined, optimized parts linked for the
emulator), with the sum of its parts' times on one thread and the slowest part beside it; ptxas for sm_75 (the PTX of both gives the same
cubin: checked each round); and the warm path (PTX and cubin caches hit). Medians and the load
average (the machine may be shared: compare rows of one run only). On a GPU machine (16
cores) the `after` row approaches the slowest part's time, and ptxas runs with --split-compile.
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


def _trace(model):
    """(concrete function, input arrays) of a fresh tf.function of the model's step."""
    import autograph_jit as tf
    if model == "cnn":
        from benchmarks import cnn_step
        x, y = (tf.constant(a) for a in cnn_step.batch((12, 12, 1), 3))
        step, params, opt = cnn_step.make_step(tf, (12, 12, 1))
        opt.build(params)
        cf = tf.function(step, backend="eager").get_concrete_function(x, y)
        return cf, [np.asarray(x), np.asarray(y)]
    from tests.tracing.test_training_step import _model_and_data, _step_fn
    x, labels, params = _model_and_data()
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(params)
    cf = tf.function(_step_fn(params, opt), backend="eager").get_concrete_function(x, labels)
    return cf, [np.asarray(x), np.asarray(labels)]


def _llvm_before(ir_text, sm, add):
    """The compile as it was: the module whole, libdevice parsed and linked whole per compile."""
    from autograph_jit.codegen.gpu import target
    from autograph_jit.codegen.gpu.allowlist import check_declarations
    llvm = target._llvm()
    t0 = time.perf_counter()
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    check_declarations(mod)
    t1 = time.perf_counter()
    tm = target._target_machine(sm)
    if any(f.is_declaration and f.name.startswith("__nv_") for f in mod.functions):
        with open(target.toolkit()["libdevice"], "rb") as f:
            lib = llvm.parse_bitcode(f.read())
        names = {f.name for f in lib.functions if not f.is_declaration}
        lib.triple = target.TRIPLE
        mod.link_in(lib)
        for f in mod.functions:
            if f.name in names and not f.is_declaration:
                f.linkage = "internal"
        pto0 = llvm.create_pipeline_tuning_options(speed_level=0)
        dce = llvm.create_new_module_pass_manager()
        dce.add_global_dead_code_eliminate_pass()
        dce.run(mod, llvm.create_pass_builder(tm, pto0))
    mod.triple = target.TRIPLE
    mod.data_layout = str(tm.target_data)
    t2 = time.perf_counter()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = False
    pto.slp_vectorization = False
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    check_declarations(mod)
    optimized = str(mod)
    t3 = time.perf_counter()
    ptx = tm.emit_assembly(mod)
    t4 = time.perf_counter()
    add("  parse + verify + allowlist", t1 - t0)
    add("  libdevice: parse, link whole, internal, DCE", t2 - t1)
    add("  O3 (+ IR text)", t3 - t2)
    add("  NVPTX codegen", t4 - t3)
    add("LLVM before: whole module, 1 thread", t4 - t0)
    return optimized, ptx


def _llvm_after(ir_text, sm, add):
    """target.compile_ptx's pipeline without its cache, phase by phase."""
    from autograph_jit.codegen.gpu import target
    from autograph_jit.runtime import llvm_pool
    from autograph_jit.codegen.gpu.split import join_ptx, split_kernels
    t0 = time.perf_counter()
    parts = split_kernels(ir_text)
    t1 = time.perf_counter()
    compiled = llvm_pool.map_ordered(lambda p: target._compile_module(p[1], sm, part=True),
                                     parts)
    t2 = time.perf_counter()
    ptx = join_ptx([p for _, p in compiled])
    optimized = target._link_optimized(compiled)
    t3 = time.perf_counter()
    add("  split into parts", t1 - t0)
    add(f"  {len(parts)} parts on {llvm_pool.pool_size()} threads (wall)", t2 - t1)
    add("  join PTX + link optimized parts", t3 - t2)
    add("LLVM after: split, threads, join", t3 - t0)
    times = []
    for _, text in parts:     # each part alone (what one thread of a big machine does)
        t = time.perf_counter()
        target._compile_module(text, sm, part=True)
        times.append(time.perf_counter() - t)
    add(f"  {len(parts)} parts one by one (sum)", sum(times))
    add("  slowest part alone", max(times))
    return optimized, ptx


def _fresh(model, way):
    """Seconds of a new process's first compile of the step (trace to cubin), `way` before or
    after (the process's imports not counted)."""
    import json
    import subprocess
    code = (f"import sys, time; sys.path.insert(0, {ROOT!r}); "
            "from benchmarks import gpu_compile_time as b; "
            f"print(b._first_compile({model!r}, {way!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, AUTOGRAPH_JIT_CACHE="0"), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _first_compile(model, way):
    import autograph_jit  # noqa: F401  (imports are not part of the compile)
    import llvmlite.binding  # noqa: F401
    from autograph_jit.codegen.gpu import function
    from autograph_jit.runtime.gpu import ptxas
    if way == "before":
        function.compile_ptx = lambda text, sm: _llvm_before(text, sm, lambda *a: None)
    t0 = time.perf_counter()
    cf, arrays = _trace(model)
    plan = function.GpuFunction(cf.optimized_graph, "step").prepare(arrays)
    ptxas.assemble(plan.kernel_module.ptx, "sm_75")
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    args = ap.parse_args(argv)
    os.environ["AUTOGRAPH_JIT_CACHE"] = "0"   # cold means cold: no disk entries
    from autograph_jit.runtime import llvm_pool
    from autograph_jit.codegen.gpu.function import GpuFunction
    from autograph_jit.codegen.gpu.lower import GpuLowerer
    from autograph_jit.codegen.gpu.mathlib import module_text
    from autograph_jit.codegen.llvm.specialize import Spec, specialize
    from autograph_jit.runtime.gpu import cubin_cache, ptx_cache, ptxas
    cf, arrays = _trace(args.model)
    GpuFunction(cf.optimized_graph, "warmup").prepare(arrays)
    rows = {}

    def add(name, seconds):
        rows.setdefault(name, []).append(seconds)

    print(f"load average before {os.getloadavg()}")
    for _ in range(args.rounds):
        ptx_cache.clear_memory()
        cubin_cache.clear_memory()
        t0 = time.perf_counter()
        cf, arrays = _trace(args.model)
        t1 = time.perf_counter()
        graph = cf.optimized_graph
        t2 = time.perf_counter()
        gf = GpuFunction(graph, "step")
        it = iter([Spec(p.type.dtype, np.shape(a)) for p, a in zip(graph.data_params, arrays)])
        env = specialize(graph, [None if p.is_token else next(it) for p in graph.params])
        lw = GpuLowerer(graph, env, gf._variables, gf._written)
        lw._params_results = lw.lower_function()
        t3 = time.perf_counter()
        text = module_text(lw.module)
        t4 = time.perf_counter()
        add("trace", t1 - t0)
        add("graph passes", t2 - t1)
        add("GPU lowering (graph -> LLVM IR objects)", t3 - t2)
        add("IR text", t4 - t3)
        _, ptx_before = _llvm_before(text, 75, add)
        _, ptx_after = _llvm_after(text, 75, add)
        t5 = time.perf_counter()
        cubin_after = ptxas.assemble(ptx_after, "sm_75").cubin
        t6 = time.perf_counter()
        add("ptxas sm_75", t6 - t5)
        if ptxas.assemble(ptx_before, "sm_75").cubin != cubin_after:
            raise SystemExit("the cubins of before and after differ")
        front = (t4 - t0)
        add("cold total before", front + rows["LLVM before: whole module, 1 thread"][-1]
            + (t6 - t5))
        add("cold total after", front + rows["LLVM after: split, threads, join"][-1] + (t6 - t5))
        plan = GpuFunction(cf.optimized_graph, "step").prepare(arrays)   # fills the caches
        cubin_cache.get_or_assemble(plan.kernel_module.ptx, "sm_75")
        t7 = time.perf_counter()
        plan = GpuFunction(cf.optimized_graph, "step").prepare(arrays)
        cubin_cache.get_or_assemble(plan.kernel_module.ptx, "sm_75")
        add("warm: prepare + cubin (caches hit)", time.perf_counter() - t7)
    for _ in range(args.rounds):   # the first compile of a new process, both ways in turn
        for way in ("before", "after"):
            add(f"new process, first compile: {way}", _fresh(args.model, way))
    print(f"load average after {os.getloadavg()}; {os.cpu_count()} CPUs; compile threads "
          f"{llvm_pool.status()}; ptxas {ptxas.version()} {ptxas.split_compile_args()}")
    print(f"{args.model} step: {len(plan.annotations)} kernels, "
          f"{plan.kernel_module.ptx.count(chr(10))} PTX lines; median of {args.rounds} "
          "(same cubin before and after)")
    for name, values in rows.items():
        print(f"  {name:<48} {statistics.median(values) * 1000:8.1f} ms  "
              f"(min {min(values) * 1000:.1f})")


if __name__ == "__main__":
    main()
