"""Compile time against graph size: chains of n elementwise adds (issue 11, defect 7).

For each n the first call of `tf.function(chain_n)` is timed stage by stage (trace, every pass,
lowering, LLVM optimization, machine code; `cf.stage_times`), with the disk cache off, plus the
size of the LLVM IR. Linear compile time shows as the per-op column staying flat.

    .venv/bin/python -m benchmarks.compile_scaling                 # 1k, 2k, 4k, 10k ops
    .venv/bin/python -m benchmarks.compile_scaling --sizes 1000 60000
"""
import argparse
import os
import time


def chain(n):
    def f(x):
        y = x
        for _ in range(n):
            y = y + 1.0
        return y
    return f


def measure(n):
    """{stage: seconds} for the first call of an n-op chain, plus 'total', 'ir lines'."""
    import autograph_jit as tf
    fn = tf.function(chain(n), autograph=False)
    x = tf.ones([1024])
    start = time.perf_counter()
    out = fn(x)
    total = time.perf_counter() - start
    assert float(out.numpy()[0]) == n + 1.0
    cf = fn.get_concrete_function(x)
    stages = {}
    for name, seconds in cf.stage_times:
        stages[name] = stages.get(name, 0.0) + seconds
    stages["total"] = total
    stages["ir lines"] = len(cf_ir(cf).splitlines())
    return stages


def cf_ir(cf):
    try:
        return cf.llvm_ir()
    except Exception:  # (the interpreter ran it: no IR)
        return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 10000])
    args = parser.parse_args(argv)
    os.environ["AUTOGRAPH_JIT_CACHE"] = "0"
    rows = [(n, measure(n)) for n in args.sizes]
    names = []
    for _, stages in rows:
        for k in stages:
            if k not in names and k not in ("total", "ir lines"):
                names.append(k)
    shown = [k for k in names if max(s.get(k, 0) for _, s in rows) >= 0.01]
    print(f"{'stage':28s}" + "".join(f"{n:>10d}" for n, _ in rows))
    for k in shown + ["total"]:
        print(f"{k:28s}" + "".join(f"{s.get(k, 0.0):10.3f}" for _, s in rows))
    print(f"{'total µs per op':28s}" + "".join(f"{1e6 * s['total'] / n:10.0f}" for n, s in rows))
    print(f"{'LLVM IR lines':28s}" + "".join(f"{s['ir lines']:10d}" for _, s in rows))


if __name__ == "__main__":
    main()
