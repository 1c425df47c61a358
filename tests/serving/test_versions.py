"""Version folders: the newest is served; a new folder appearing while the server runs is
picked up without failing requests in flight; a broken version does not stop serving."""
import os
import threading
import time

import numpy as np

from .conftest import Client, Linear, W, save_version


def _wait_for_version(c, version, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        doc = c.get("/v1/models/linear")[1]
        if doc["model_version_status"][0]["version"] == str(version):
            return True
        time.sleep(0.05)
    return False


def test_newest_version_folder_is_served(serve, client):
    server = serve("linear")
    save_version(server.base_path, 3, Linear(3))
    os.makedirs(os.path.join(server.base_path, "notes"))    # ignored: not a number
    server.models["linear"].refresh()
    c = client(server)
    code, doc = c.post("/v1/models/linear:predict", {"instances": [[0, 0, 0]]})
    assert (code, doc) == (200, {"predictions": [[2.0, 2.0]]})
    assert c.get("/v1/models/linear/versions/1")[0] == 404


def test_new_version_is_hot_swapped_without_dropping_requests(serve):
    server = serve("linear", poll_seconds=0.05)
    errors, seen, stop = [], set(), threading.Event()

    def hammer():
        c = Client(server.port)
        try:
            while not stop.is_set():
                code, doc = c.post("/v1/models/linear:predict", {"instances": [[1, 0, 0]]})
                if code != 200:
                    errors.append((code, doc))
                    continue
                seen.add(doc["predictions"][0][0])
        finally:
            c.close()

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.2)
        save_version(server.base_path, 2, Linear(2))
        c = Client(server.port)
        swapped = _wait_for_version(c, 2)
        c.close()
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert swapped and errors == []
    assert seen == {float(W[0, 0]), float(W[0, 0]) + 1.0}   # version 1, then version 2


def test_broken_version_folder_keeps_the_old_version_and_is_reported(serve, client):
    server = serve("linear")
    bad = os.path.join(server.base_path, "5")
    os.makedirs(bad)
    with open(os.path.join(bad, "saved_model.json"), "w") as fh:
        fh.write("{not json")
    server.models["linear"].refresh()
    c = client(server)
    code, doc = c.get("/v1/models/linear")
    assert code == 200
    states = {e["version"]: e for e in doc["model_version_status"]}
    assert states["1"]["state"] == "AVAILABLE"
    assert states["5"]["status"]["error_code"] == "UNKNOWN"
    assert c.post("/v1/models/linear:predict", {"instances": [[1, 2, 3]]})[0] == 200
    np.testing.assert_allclose(
        c.post("/v1/models/linear:predict", {"instances": [[1, 2, 3]]})[1]["predictions"],
        np.array([[1, 2, 3]], np.float32) @ W)
