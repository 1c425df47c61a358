"""Command line shared by `python -m benchmarks` and each `python -m benchmarks.<workload>`:
--quick, --only, --peers; a header naming the machine, the versions and our backend; the table.
--save-json FILE keeps the run, --from-json FILE reads a kept run instead of running, and
--plot FILE draws the ratios with matplotlib (benchmarks/plot.py)."""
import argparse
import os
import platform
import sys
import time

import numpy as np

from . import harness, peers, table


def parser(prog, description, workloads=None):
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--quick", action="store_true",
                   help="fewer and shorter timed rounds (a few seconds a workload)")
    p.add_argument("--peers", default="all", metavar="LIST",
                   help="'all' (default), 'none', or a comma list of: " + ", ".join(peers.ORDER))
    p.add_argument("--threads", type=int, metavar="N",
                   help="pin every library to N threads (BLAS, OpenMP, ours, TensorFlow, XLA, "
                        "torch): steadier numbers on a loaded machine; default: their own")
    p.add_argument("--save-json", metavar="FILE",
                   help="also write the results (rows and machine header) to this JSON file")
    p.add_argument("--from-json", metavar="FILE",
                   help="run nothing: print (and --plot) the results saved in this JSON file")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the ratio table into FILE (.png, .svg, .pdf; needs matplotlib)")
    if workloads:
        p.add_argument("--only", action="append", metavar="NAME", choices=list(workloads),
                       help="run only this workload (repeatable): " + ", ".join(workloads))
    return p


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "AUTOGRAPH_JIT_NUM_THREADS", "XLA_FLAGS")


def _pin_threads(n):
    """Thread pools read their size when their library loads, and NumPy is loaded by now: set the
    variables, then restart this very command line in a new interpreter (once)."""
    if os.environ.get(peers.PINNED_VAR) == str(n):
        return
    env = dict(os.environ, **{k: str(n) for k in _THREAD_VARS[:4]}, **{peers.PINNED_VAR: str(n)})
    if n == 1:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            "intra_op_parallelism_threads=1").strip()
    sys.stdout.flush()
    os.execve(sys.executable, sys.orig_argv, env)


def _threads_text():
    pinned = os.environ.get(peers.PINNED_VAR)
    if pinned:
        return f"every library pinned to {pinned} (--threads {pinned})"
    return ", ".join(f"{k}={os.environ[k]}" for k in _THREAD_VARS if k in os.environ) or \
        "each library's default"


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def our_backend():
    """What backend='cpu' (the default) really runs today: compiled LLVM code or the interpreter."""
    import autograph_jit as tf
    cf = tf.function(lambda x: x + 1).get_concrete_function(tf.constant(1.0))
    if not hasattr(cf, "llvm_ir"):
        return "cpu = graph interpreter (no LLVM backend in this checkout yet)"
    try:
        cf.llvm_ir()
    except Exception as e:
        return f"cpu = interpreter? llvm_ir() failed: {type(e).__name__}: {e}"
    return "cpu = LLVM native code (llvmlite)"


def _blas_text():
    """OpenBLAS's kernel choice (OPENBLAS_CORETYPE=Haswell runs AVX2 kernels on an AVX-512
    machine, half its FMA width: every BLAS product here, TF's oneDNN convolutions not), and
    the CPU features our own products use."""
    core = os.environ.get("OPENBLAS_CORETYPE")
    try:
        from autograph_jit.runtime import cpu_engine
        wide = "+avx512f" in cpu_engine.host_info()["features"]
    except Exception:  # (no LLVM: the interpreter's line above says so)
        wide = False
    return (f"OpenBLAS kernels: {'OPENBLAS_CORETYPE=' + core if core else 'chosen by CPU'}; "
            f"AVX-512: {'yes (our convolution products use it, codegen/llvm/k_gemm.py)' if wide else 'no'}")


def header(enabled):
    import llvmlite
    lines = [f"autograph_jit benchmarks — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
             f"machine: {_cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
             f"NumPy {np.__version__}, llvmlite {llvmlite.__version__}",
             f"load average {os.getloadavg()[0]:.1f}; threads: {_threads_text()}"
             + ("; clock: process CPU time" if os.environ.get(harness.CLOCK_VAR) == "process"
                else ""),
             _blas_text(),
             f"ours: backend {our_backend()}"]
    found = []
    for name in enabled:
        v = peers.version(name)
        found.append(f"{peers.LABELS[name]} {v}" if v else
                     f"{peers.LABELS[name]} skipped ({peers.reason(name).split(':')[0]})")
    lines.append("peers: " + (", ".join(found) if found else "none"))
    return "\n".join(lines)


def run_and_print(prog, description, workloads, argv=None):
    """Parse argv, run the chosen workloads ({name: run function}) and print one table."""
    p = parser(prog, description, workloads if len(workloads) > 1 else None)
    args = p.parse_args(argv)
    try:
        enabled = peers.parse(args.peers)
    except ValueError as e:
        p.error(str(e))
    if args.from_json:
        from . import plot
        rows, head = plot.load_json(args.from_json)
        print(head)
        print()
        print(table.render(rows))
        if args.plot:
            print(f"plot: {plot.plot(rows, head, args.plot)}")
        return 0 if all(r.equal is not False for r in rows) else 1
    if args.threads is not None and argv is None:
        _pin_threads(args.threads)
    settings = harness.QUICK if args.quick else harness.FULL
    chosen = getattr(args, "only", None) or list(workloads)
    head = header(enabled)
    print(head, flush=True)
    rows = []
    for name in chosen:
        t0 = time.perf_counter()
        new = workloads[name](settings, enabled)
        rows += new
        print(f"  {name}: {len(new)} row(s) in {time.perf_counter() - t0:.1f} s", file=sys.stderr,
              flush=True)
    print()
    print(table.render(rows))
    if args.save_json or args.plot:
        from . import plot
        if args.save_json:
            plot.save_json(rows, head, args.save_json)
            print(f"results: {args.save_json}")
        if args.plot:
            print(f"plot: {plot.plot(rows, head, args.plot)}")
    return 0 if all(r.equal is not False for r in rows) else 1
