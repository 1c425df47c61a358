"""Soak: memory and concurrency over long runs (issue 11). Not a speed benchmark: it reports RSS
growth and correctness, and tests/reliability/test_soak.py asserts bounds on its figures.

  python -m benchmarks.soak warm --calls 100000      RSS over warm calls (three functions)
  python -m benchmarks.soak retrace --count 1000     RSS over retraces (new shapes, new ints)
  python -m benchmarks.soak threads --calls 2000     4 threads calling one function at once
  python -m benchmarks.soak all                      all three at their long sizes
Add --json for one machine-readable line.
"""
import argparse
import gc
import json
import sys
import threading
import time

import numpy as np


def rss_mb():
    """This process's resident set size in MB (Linux /proc)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def _settled_rss():
    gc.collect()
    return rss_mb()


def warm_calls(calls):
    """RSS before and after `calls` warm calls of each of three compiled functions (elementwise,
    a variable update, a while loop), after 1,000 warm-up calls; checks every result."""
    import autograph_jit as tf
    v = tf.Variable(0.0, dtype=tf.float64)

    @tf.function
    def elementwise(x):
        return tf.tanh(x * 0.5 + 1.0) * tf.sigmoid(x)

    @tf.function
    def update(d):
        v.assign_add(d)
        return v.read_value()

    @tf.function
    def loop(n):
        i, s = tf.constant(0), tf.constant(0)
        while i < n:
            s += i
            i += 1
        return s

    x = tf.constant(np.linspace(-1, 1, 64).astype(np.float32))
    want = np.tanh(x.numpy() * 0.5 + 1.0) / (1 + np.exp(-x.numpy()))
    d, n = tf.constant(1.0, tf.float64), tf.constant(10)
    for _ in range(1000):
        elementwise(x), update(d), loop(n)
    start = _settled_rss()
    t0 = time.perf_counter()
    wrong = 0
    for k in range(calls):
        wrong += not np.allclose(elementwise(x).numpy(), want, rtol=1e-5, atol=1e-6)
        update(d)
        wrong += int(loop(n)) != 45
    end = _settled_rss()
    wrong += float(v.numpy()) != 1000.0 + calls
    return {"calls": calls, "functions": 3, "rss_start_mb": round(start, 1),
            "rss_end_mb": round(end, 1), "rss_growth_mb": round(end - start, 1),
            "wrong_results": wrong, "seconds": round(time.perf_counter() - t0, 1)}


def retraces(count):
    """RSS over `count` retraces of one function by a new input shape, and `count` more of
    another by a new Python int; the second half of each shows whether memory is bounded."""
    import warnings

    import autograph_jit as tf
    warnings.simplefilter("ignore")  # the retrace warning is expected here

    @tf.function
    def by_shape(x):
        return tf.reduce_sum(x * 2.0 + 1.0)

    @tf.function
    def by_int(x, k):
        return x * k + 1.0

    x = tf.constant(np.ones(8, np.float32))
    out = {"retraces": count}
    wrong = 0
    for name, call in (("shape", lambda i: (by_shape(tf.zeros([i + 1])), 2 * 0 + (i + 1))),
                       ("int", lambda i: (by_int(x, i), None))):
        start = _settled_rss()
        mid = None
        for i in range(count):
            res, want = call(i)
            if want is not None:
                wrong += float(res) != want
            if i == count // 2:
                mid = _settled_rss()
        end = _settled_rss()
        out[f"{name}_rss_growth_mb"] = round(end - start, 1)
        out[f"{name}_second_half_growth_mb"] = round(end - mid, 1)
    out["traces_kept"] = len(getattr(by_shape, "_cache", ()) or ())
    out["wrong_results"] = wrong
    out["rss_end_mb"] = round(rss_mb(), 1)
    return out


def threads(calls, n_threads=4, timeout=120.0):
    """`n_threads` threads first call a new function at the same moment (it traces and compiles
    under contention), then each calls one compiled function `calls` times (a variable update and
    a pure result); checks every result and the final variable (no lost update) and that all
    threads finish within `timeout` seconds (no deadlock)."""
    import autograph_jit as tf
    v = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def step(x, inc):
        v.assign_add(inc)
        return tf.reduce_sum(x * x)

    xs = [tf.constant(np.arange(k + 1, dtype=np.float64)) for k in range(n_threads)]
    wants = [float(np.sum(np.arange(k + 1.0) ** 2)) for k in range(n_threads)]
    inc = tf.constant(1, tf.int64)
    step(xs[0], tf.constant(0, tf.int64))
    wrong = [0] * n_threads
    errors = []
    barrier = threading.Barrier(n_threads)

    @tf.function
    def cold(x):  # first called by all threads at once: traced and compiled under contention
        return tf.reduce_sum(tf.tanh(x) * 2.0)

    def work(k):
        try:
            barrier.wait()
            wrong[k] += not np.isclose(float(cold(xs[k])), 2 * np.tanh(xs[k].numpy()).sum())
            for _ in range(calls):
                wrong[k] += float(step(xs[k], inc)) != wants[k]
        except Exception as e:  # noqa: BLE001 - reported
            errors.append(f"{type(e).__name__}: {e}")

    start = _settled_rss()
    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(n_threads)]
    for t in pool:
        t.start()
    deadline = t0 + timeout
    for t in pool:
        t.join(max(0.0, deadline - time.perf_counter()))
    hung = sum(t.is_alive() for t in pool)
    total = int(v.numpy())
    return {"threads": n_threads, "calls_per_thread": calls, "hung_threads": hung,
            "wrong_results": sum(wrong), "errors": errors[:3],
            "variable": total, "variable_want": n_threads * calls,
            "rss_growth_mb": round(_settled_rss() - start, 1),
            "seconds": round(time.perf_counter() - t0, 1)}


LONG = {"warm": 100_000, "retrace": 1000, "threads": 5000}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["warm", "retrace", "threads", "all"])
    ap.add_argument("--calls", type=int)
    ap.add_argument("--count", type=int)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    runs = {"warm": lambda: warm_calls(a.calls or LONG["warm"]),
            "retrace": lambda: retraces(a.count or LONG["retrace"]),
            "threads": lambda: threads(a.calls or LONG["threads"], a.threads)}
    names = list(runs) if a.what == "all" else [a.what]
    results = {n: runs[n]() for n in names}
    if a.json:
        print(json.dumps(results))
    else:
        for n, r in results.items():
            print(f"{n}: " + ", ".join(f"{k}={v}" for k, v in r.items()))
    bad = any(r.get("wrong_results") or r.get("hung_threads") or r.get("errors")
              for r in results.values())
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
