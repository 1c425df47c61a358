"""Load: 8 concurrent keep-alive clients x a bounded number of requests, zero errors, correct
answers, and no memory growth between two equal rounds (RSS, generous bound)."""
import threading

import numpy as np

from .conftest import Client, W

CLIENTS, REQUESTS = 8, 60


def _rss_bytes():
    with open("/proc/self/statm") as fh:
        import os
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _round(port):
    failures = []

    def client(k):
        c = Client(port)
        try:
            for i in range(REQUESTS):
                x = [[k, i, 1.0]]
                code, doc = c.post("/v1/models/linear:predict", {"instances": x})
                if code != 200 or not np.allclose(doc["predictions"],
                                                  np.array(x, np.float32) @ W, rtol=1e-5):
                    failures.append((k, i, code, doc))
        except Exception as e:  # noqa: BLE001 - counted as a failure
            failures.append((k, repr(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a client is stuck"
    return failures


def test_eight_concurrent_clients_get_no_errors_and_memory_does_not_grow(serve):
    server = serve("linear")
    assert _round(server.port) == []          # warm-up round
    before = _rss_bytes()
    for _ in range(2):
        assert _round(server.port) == []
    growth = _rss_bytes() - before
    assert growth < 64 << 20, f"RSS grew by {growth / 2**20:.1f} MiB over 960 requests"


def test_eight_concurrent_clients_with_batching_get_no_errors(serve):
    from autograph_jit.serving import BatchingParameters
    server = serve("linear", batching=BatchingParameters(max_batch_size=8,
                                                         batch_timeout_micros=2000,
                                                         num_batch_threads=2))
    assert _round(server.port) == []
    assert server.scheduler.batches_run <= CLIENTS * REQUESTS
