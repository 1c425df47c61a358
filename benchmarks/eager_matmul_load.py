"""Eager `tf.matmul` of thin products on a busy machine: NumPy's threaded OpenBLAS (the kernel
before runtime/serial_gemm.py) against the one-thread path, idle and with a busy-loop process
on every core. Prints the load average, and mean / median / p90 per call (the mean is what a
training loop pays: OpenBLAS's waiting threads cost whole scheduler slices now and then).

    PYTHONPATH=. python -m benchmarks.eager_matmul_load
"""
import os
import subprocess
import sys
import time

import numpy as np

import autograph_jit as tf
from autograph_jit.runtime import serial_gemm

SHAPES = [(32, 784, 128), (50, 784, 100), (256, 784, 32)]


def measure(m, k, n, serial, reps=300, rng=np.random.default_rng(0)):
    """(mean, median, p90) milliseconds of one eager product."""
    real = serial_gemm.use_serial
    serial_gemm.use_serial = real if serial else (lambda a, b: False)
    try:
        a = tf.constant(rng.normal(size=(m, k)).astype("float32"))
        b = tf.constant(rng.normal(size=(k, n)).astype("float32"))
        for _ in range(10):
            tf.matmul(a, b)
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            tf.matmul(a, b)
            ts.append(time.perf_counter() - t)
    finally:
        serial_gemm.use_serial = real
    ts = np.asarray(ts) * 1e3
    return ts.mean(), np.median(ts), np.percentile(ts, 90)


def run(label, rounds=3):
    print(f"-- {label}: load average {tuple(round(v, 2) for v in os.getloadavg())}")
    for m, k, n in SHAPES:
        for _ in range(rounds):
            before = measure(m, k, n, False)
            after = measure(m, k, n, True)
            print(f"  {m}x{k} @ {k}x{n}: threaded mean {before[0]:.3f} ms (median "
                  f"{before[1]:.3f}, p90 {before[2]:.3f})  one thread mean {after[0]:.3f} ms "
                  f"(median {after[1]:.3f}, p90 {after[2]:.3f})  mean ratio "
                  f"{before[0] / after[0]:.1f}x")


def main():
    run("as found")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(3)
        run(f"with {len(busy)} busy-loop processes")
    finally:
        for p in busy:
            p.kill()
        for p in busy:
            p.wait()


if __name__ == "__main__":
    main()
