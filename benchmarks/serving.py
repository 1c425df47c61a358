"""REST serving throughput and latency (issue 19): a small MLP (16-64-64-4, float32) saved with
`tf.saved_model.save`, served by `python -m autograph_jit.serving` in its own process on
127.0.0.1, and N client threads in this process sending `:predict` requests (one instance each)
over keep-alive connections for a fixed time. Prints one row: requests/s, p50 and p99 latency.

    python -m benchmarks.serving [--clients 8] [--seconds 5] [--batching]

The clients share this process's GIL, so on a small machine they, not the server, may bound the
rate; the issue's prototype measured ~6,500 req/s, p50 0.6 ms.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

NAME = "serving"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save_mlp(path, sizes=(16, 64, 64, 4)):
    import autograph_jit as tf

    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.ws = [tf.Variable((rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32))
                       for a, b in zip(sizes[:-1], sizes[1:])]

        @tf.function(input_signature=[tf.TensorSpec([None, sizes[0]], tf.float32)])
        def __call__(self, x):
            for w in self.ws[:-1]:
                x = tf.nn.relu(tf.matmul(x, w))
            return tf.matmul(x, self.ws[-1])

    tf.saved_model.save(MLP(), os.path.join(path, "1"))
    return sizes[0]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(port, proc, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited: " + proc.stdout.read())
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/v1/models/mlp")
            if c.getresponse().status == 200:
                c.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def measure(port, features, clients, seconds, warmup=0.5, requests=None):
    """Send requests from `clients` threads for `seconds` after `warmup` (or, with `requests`,
    exactly that many per client, all timed); returns the row as a dict."""
    body = json.dumps({"instances": [[0.5] * features]})
    latencies, errors = [[] for _ in range(clients)], [0] * clients
    began = time.monotonic()
    start_at = began + (0 if requests is not None else warmup)
    stop_at = start_at + seconds

    def client(k):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        while True:
            t0 = time.monotonic()
            if (len(latencies[k]) + errors[k] >= requests) if requests is not None \
                    else t0 >= stop_at:
                break
            c.request("POST", "/v1/models/mlp:predict", body=body, headers=headers)
            r = c.getresponse()
            r.read()
            t1 = time.monotonic()
            if r.status != 200:
                errors[k] += 1
            elif t0 >= start_at:
                latencies[k].append(t1 - t0)
        c.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began if requests is not None else seconds
    lat = np.concatenate([np.asarray(x) for x in latencies])
    return {"clients": clients, "requests": len(lat), "errors": sum(errors),
            "req_per_s": len(lat) / elapsed,
            "p50_ms": float(np.percentile(lat, 50) * 1e3) if len(lat) else float("nan"),
            "p99_ms": float(np.percentile(lat, 99) * 1e3) if len(lat) else float("nan")}


def run(clients=8, seconds=5.0, batching=False):
    with tempfile.TemporaryDirectory(prefix="agjit-bench-serving-") as root:
        base = os.path.join(root, "mlp")
        features = save_mlp(base)
        port = _free_port()
        cmd = [sys.executable, "-m", "autograph_jit.serving", "--model_name=mlp",
               f"--model_base_path={base}", f"--rest_api_port={port}",
               "--rest_api_host=127.0.0.1"]
        if batching:
            params = os.path.join(root, "batching.txt")
            with open(params, "w") as fh:
                fh.write("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 500 }\n"
                         "num_batch_threads { value: 2 }\n")
            cmd += ["--enable_batching=true", f"--batching_parameters_file={params}"]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            _wait_ready(port, proc)
            row = measure(port, features, clients, seconds)
        finally:
            proc.terminate()
            proc.wait(30)
    row["batching"] = batching
    return row


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.serving", description=__doc__)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--batching", action="store_true")
    a = p.parse_args(argv)
    row = run(a.clients, a.seconds, a.batching)
    print("| workload | clients | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    label = "REST :predict, MLP 16-64-64-4" + (", batching" if row["batching"] else "")
    print(f"| {label} | {row['clients']} | {row['req_per_s']:.0f} | {row['p50_ms']:.2f} | "
          f"{row['p99_ms']:.2f} | {row['errors']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
