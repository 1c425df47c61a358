"""Differential runner for generated programs: eager vs `tf.function(backend="eager")` (the graph
interpreter) vs `tf.function(backend="cpu")` (native code), three calls each (inputs, other inputs
of the same type, the first inputs again: the warm paths and constant capture are covered).
Integer and bool results must be bit-exact; floats agree within a relative tolerance of the least
precise float dtype the program computes in (RTOL: a value computed in float16 or float32 and cast
to float64 keeps that rounding, and the backends may round an intermediate differently by an ulp,
e.g. a float32 cumsum summed in another order: seeds 104006, 108006, 104215); when one mode
raises, all must raise the same exception type.

Command line (run from the repository root):
  python -m tests.reliability.fuzz --seed N            re-create program N, print it and compare
  python -m tests.reliability.fuzz --start 0 --count 10000 [--isolate]
                                                       run a range; --isolate runs chunks in
                                                       subprocesses, counting crashes and hangs
"""
import argparse
import json
import linecache
import os
import subprocess
import sys
import time
import warnings

import numpy as np

import autograph_jit as tf

from .gen import generate

MODES = ("eager", "interpreter", "cpu")
RTOL = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-9}


def repro(seed):
    """The one command that re-creates and re-runs program `seed`."""
    return f"python -m tests.reliability.fuzz --seed {seed}"


def load(program, mode):
    """A fresh namespace holding the program (fresh variables), with its source registered in
    linecache so that AutoGraph can read it."""
    fname = f"<fuzz seed={program.seed} mode={mode}>"
    linecache.cache[fname] = (len(program.source), None, program.source.splitlines(True), fname)
    ns = {"__name__": f"fuzz_{program.seed}_{mode}"}
    exec(compile(program.source, fname, "exec"), ns)
    return ns


def _leaves(res):
    return [None if x is None else np.array(x) for x in tf.nest.flatten(res)]


def run_mode(program, mode):
    """Three calls of the program in `mode`; one ("ok", leaves, variables) or ("error", type
    name, message) per call."""
    ns = load(program, mode)
    fn = ns["prog"]
    if mode != "eager":
        sig = None if program.signature is None else [
            tf.TensorSpec(list(s), getattr(tf, d)) for s, d in program.signature]
        fn = tf.function(fn, backend="eager" if mode == "interpreter" else "cpu",
                         input_signature=sig)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outs = _calls(program, ns, fn)
    # a fallback because the compiler failed on a valid program is a bug, even though the
    # interpreter then gives the right answer (a fallback for a documented reason is not)
    broken = [str(w.message) for w in caught if "could not compile it" in str(w.message)]
    if broken:
        outs.append(("error", "CompilerFallback", broken[0][:600]))
    return outs


def _calls(program, ns, fn):
    outs = []
    for inputs in (program.inputs, program.inputs2, program.inputs):
        try:
            args = [tf.constant(a) for a in inputs]
            if program.grad_outside:
                with tf.GradientTape() as tape:
                    for a in args:
                        tape.watch(a)
                    y, extra = fn(*args)
                res = (y, tape.gradient(y, args), extra)
            else:
                res = fn(*args)
            outs.append(("ok", _leaves(res), [np.array(ns[v].numpy()) for v in program.variables]))
        except Exception as e:  # noqa: BLE001 - the exception type is what is compared
            outs.append(("error", type(e), f"{type(e).__name__}: {e}"[:400]))
    return outs


def tolerance(program):
    """The relative tolerance a float result of `program` is held to: RTOL of the least precise
    float dtype among its values (0 when it has no floats: no float result then)."""
    return max((RTOL[d] for d in program.dtypes if d in RTOL), default=0.0)


def _close(w, g, rtol_floor=0.0):
    """None when arrays w and g agree (exact for ints/bools, tolerance for floats: the dtype's
    own, or `rtol_floor` when larger)."""
    if w is None or g is None:  # an unconnected gradient: None eagerly when Python control flow
        # skipped the path, zeros in a graph whose loop connects it (TF behaves the same)
        other = g if w is None else w
        return None if other is None or not np.any(other) else f"{w!r} vs {g!r}"
    if w.dtype != g.dtype or w.shape != g.shape:
        return f"type {w.dtype}{list(w.shape)} vs {g.dtype}{list(g.shape)}"
    if w.dtype.kind != "f":
        return None if np.array_equal(w, g) else "values differ"
    rtol = max(RTOL.get(str(w.dtype), 1e-4), rtol_floor)
    wf, gf = w.astype(np.float64), g.astype(np.float64)
    if (np.isnan(gf) & ~np.isnan(wf)).any():
        return "graph has NaN where eager has a number"
    if (np.isnan(wf) & ~np.isnan(gf)).any():
        return "eager has NaN where graph has a number"
    big = np.finfo(w.dtype).max / 4  # near overflow one side may round to inf
    fin = np.isfinite(wf) & np.isfinite(gf)
    inf_ok = (wf == gf) | (np.isnan(wf)) | (fin) | (np.abs(np.where(np.isinf(wf), gf, wf)) > big)
    if not inf_ok.all():
        return "infinities differ"
    scale = max(1.0, float(np.max(np.abs(wf[fin]))) if fin.any() else 1.0)
    if not np.all(np.abs(wf[fin] - gf[fin]) <= rtol * scale + rtol * np.abs(wf[fin])):
        return f"values beyond rtol={rtol} (max |diff| {np.max(np.abs(wf[fin] - gf[fin]))})"
    return None


def compare(want, got, rtol_floor=0.0):
    """A list of differences between two modes' call records (empty when they agree); float
    results within `rtol_floor` (see tolerance()) agree."""
    diffs = []
    if len(got) > len(want):
        diffs.append(f"{got[-1][1]}: {got[-1][2]}")
    for k, (w, g) in enumerate(zip(want, got)):
        # a graph may raise a subclass of eager's error: TF's run-time InvalidArgumentError
        # where its eager (or trace-time) check raises ValueError
        if w[0] != g[0] or (w[0] == "error" and not issubclass(g[1], w[1])):
            diffs.append(f"call {k}: {w[0]} ({w[-1] if w[0] == 'error' else 'values'}) vs "
                         f"{g[0]} ({g[-1] if g[0] == 'error' else 'values'})")
            continue
        if w[0] == "error":
            continue
        if len(w[1]) != len(g[1]):
            diffs.append(f"call {k}: {len(w[1])} vs {len(g[1])} results")
            continue
        for kind, ws, gs in (("result", w[1], g[1]), ("variable", w[2], g[2])):
            for i, (a, b) in enumerate(zip(ws, gs)):
                why = _close(a, b, rtol_floor)
                if why:
                    diffs.append(f"call {k} {kind} {i}: {why}\n      want {a!r}\n      got  {b!r}")
    return diffs


def check(seed):
    """Run program `seed` in every mode. Returns (program, records by mode, divergences)."""
    program = generate(seed)
    records = {m: run_mode(program, m) for m in MODES}
    divergences = []
    for m in MODES[1:]:
        for d in compare(records["eager"], records[m], tolerance(program)):
            divergences.append(f"eager vs {m}: {d}")
    return program, records, divergences


def report(program, divergences):
    """The failure text for one program: the divergences, the repro command, the source."""
    return (f"program {program.seed} diverges ({', '.join(sorted(program.features))}):\n  "
            + "\n  ".join(divergences) + f"\nrepro: {repro(program.seed)}\n"
            + program.source)


def describe(program):
    lines = [program.source, f"# features: {', '.join(sorted(program.features))}"]
    if program.signature:
        lines.append(f"# input_signature: {program.signature}")
    for name, inputs in (("inputs", program.inputs), ("inputs2", program.inputs2)):
        lines.append(f"# {name}: " + ", ".join(
            f"np.array({a.tolist()!r}, np.{a.dtype})" for a in inputs))
    return "\n".join(lines)


def run_range(start, count, out=sys.stdout):
    """Run seeds [start, start+count) in this process; returns a summary dict."""
    from .known import unexplained
    summary = {"programs": 0, "divergent": [], "known": [], "raised": 0}
    for seed in range(start, start + count):
        program, records, divergences = check(seed)
        summary["programs"] += 1
        if records["eager"][0][0] == "error":
            summary["raised"] += 1
        if divergences:
            rest = unexplained(program, records, divergences)
            summary["divergent" if rest else "known"].append(seed)
            print(("" if rest else "(known bug) ") + report(program, rest or divergences),
                  file=out, flush=True)
    return summary


def run_isolated(start, count, chunk=200, timeout=None):
    """run_range in subprocesses of `chunk` seeds, so a crash or a hang is counted (and the
    remaining seeds still run) instead of ending the run. A chunk is a hang after `timeout`
    seconds (default 10 s a program: a loaded, shared machine runs one in 0.2-3 s)."""
    timeout = timeout or max(600, 10 * chunk)
    total = {"programs": 0, "divergent": [], "known": [], "raised": 0, "crashes": [],
             "hangs": []}
    seed = start
    t0 = time.time()
    while seed < start + count:
        n = min(chunk, start + count - seed)
        cmd = [sys.executable, "-m", "tests.reliability.fuzz", "--start", str(seed),
               "--count", str(n), "--json"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            total["hangs"].append(seed)
            seed += n
            continue
        lines = p.stdout.strip().splitlines()
        if p.returncode != 0 or not lines or not lines[-1].startswith("{"):
            last = [ln for ln in p.stdout.splitlines() if ln.startswith("#seed ")]
            bad = int(last[-1].split()[1]) if last else seed
            total["crashes"].append((bad, p.returncode, p.stderr[-500:]))
            total["programs"] += bad - seed + 1
            seed = bad + 1
            continue
        s = json.loads(lines[-1])
        sys.stdout.write("\n".join(ln for ln in lines[:-1] if not ln.startswith("#seed ")))
        for k in ("programs", "raised"):
            total[k] += s[k]
        total["divergent"] += s["divergent"]
        total["known"] += s["known"]
        seed += n
        print(f"# {total['programs']} programs, {len(total['divergent'])} divergent, "
              f"{len(total['known'])} known bugs, "
              f"{len(total['crashes'])} crashes, {len(total['hangs'])} hangs, "
              f"{time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--isolate", action="store_true")
    ap.add_argument("--chunk", type=int, default=200)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.seed is not None:
        program, records, divergences = check(a.seed)
        print(describe(program))
        for m in MODES:
            print(f"# {m}:")
            for rec in records[m]:
                print("#   " + (rec[2] if rec[0] == "error" else repr(rec[1] + rec[2])))
        print("\n".join(divergences) or "# all modes agree")
        return 1 if divergences else 0
    if a.isolate:
        s = run_isolated(a.start, a.count, a.chunk)
        print(json.dumps({k: v for k, v in s.items()}, default=str))
        return 1 if s["divergent"] or s["crashes"] or s["hangs"] else 0
    if a.json:  # child of run_isolated: a marker before each seed names the one that crashed
        summary = {"programs": 0, "divergent": [], "known": [], "raised": 0}
        for seed in range(a.start, a.start + a.count):
            print(f"#seed {seed}", flush=True)
            s = run_range(seed, 1)
            for k in ("programs", "raised"):
                summary[k] += s[k]
            summary["divergent"] += s["divergent"]
            summary["known"] += s["known"]
        print(json.dumps(summary), flush=True)
        return 0
    s = run_range(a.start, a.count)
    print(f"# {s['programs']} programs, {len(s['divergent'])} divergent {s['divergent']}, "
          f"{len(s['known'])} through known bugs {s['known']}, {s['raised']} raised eagerly")
    return 1 if s["divergent"] else 0


if __name__ == "__main__":
    os.environ.setdefault("AUTOGRAPH_JIT_CACHE_DIR", os.path.join(
        os.environ.get("TMPDIR", "/tmp"), f"agj-fuzz-cache-{os.getuid()}"))
    sys.exit(main())
