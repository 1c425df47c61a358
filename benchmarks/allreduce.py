"""All-reduce latency of tf.distribute's shared-memory collectives: two worker processes on
127.0.0.1 (TF_CONFIG) sum 100k float32 values, one exchange per call; prints p50/p90 in µs and
the load average. `python benchmarks/allreduce.py [--iters N] [--size N]`."""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np


def worker(size, iters, out):
    import autograph_jit as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(timeout_seconds=60))
    group = strategy._group
    arr = np.full(size, group.rank + 1, np.float32)
    for _ in range(50):
        group.all_reduce_arrays(tf.distribute.ReduceOp.SUM, [arr])
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        group.all_reduce_arrays(tf.distribute.ReduceOp.SUM, [arr])
        times.append(time.perf_counter() - start)
    with open(out, "w") as f:
        json.dump({"p50": float(np.percentile(times, 50)) * 1e6,
                   "p90": float(np.percentile(times, 90)) * 1e6, "backend": group.comm.name}, f)
    strategy.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.size, args.iters, args.worker)
        return
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    addresses = [f"127.0.0.1:{s.getsockname()[1]}" for s in socks]
    for s in socks:
        s.close()
    folder = tempfile.mkdtemp()
    procs = []
    for i in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}}))
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--iters", str(args.iters), "--size", str(args.size),
             "--worker", os.path.join(folder, f"{i}.json")], env=env))
    for p in procs:
        p.wait(timeout=600)
    r = json.load(open(os.path.join(folder, "0.json")))
    print(f"load average {os.getloadavg()[0]:.2f}; all-reduce of {args.size} float32 between 2 "
          f"processes ({r['backend']}): p50 {r['p50']:.0f} us, p90 {r['p90']:.0f} us")


if __name__ == "__main__":
    main()
