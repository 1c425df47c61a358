"""Fixtures for the model server tests: small SavedModels under tmp folders and servers on
127.0.0.1 (free ports), stopped when the test ends."""
import http.client
import json
import os
import shutil

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.serving import ModelServer

W = np.arange(6, dtype=np.float32).reshape(3, 2) / 4


class Linear(tf.Module):
    """x @ W (+ version), one input `x` [None, 3] -> one output [None, 2]."""

    def __init__(self, version=1):
        super().__init__()
        self.w = tf.Variable(W)
        self.b = tf.Variable(np.float32(version - 1))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


class TwoHeads(tf.Module):
    """Named inputs `a` (float [None, 2]) and `n` (int32 [None]); dict outputs."""

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32),
                                  tf.TensorSpec([None], tf.int32)])
    def __call__(self, a, n):
        total = tf.reduce_sum(a, axis=1)
        return {"sum": total, "scaled": total * tf.cast(n, tf.float32)}


class Classifier(tf.Module):
    """`scores` [None, 3] (softmax) and `classes`: a signature :classify accepts."""

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return {"scores": tf.nn.softmax(x), "classes": tf.ones_like(x, dtype=tf.int32) *
                tf.constant([[0, 1, 2]])}


class Regressor(tf.Module):
    """One value per example: a signature :regress accepts."""

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return tf.reduce_sum(x, axis=1)


def save_version(base, version, module):
    """Save atomically (into a temporary folder, then rename), as TF Serving's docs advise."""
    tmp = os.path.join(base, f".tmp-{version}")
    tf.saved_model.save(module, tmp)
    os.replace(tmp, os.path.join(base, str(version)))


@pytest.fixture(scope="session")
def model_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    for name, module in [("linear", Linear()), ("two", TwoHeads()),
                         ("classifier", Classifier()), ("regressor", Regressor())]:
        os.makedirs(root / name)
        save_version(str(root / name), 1, module)
    return root


@pytest.fixture
def serve(model_root, tmp_path):
    """serve(name, **kwargs) -> a started ModelServer on a free 127.0.0.1 port (a fresh copy of
    the model folder, so tests may add versions)."""
    servers = []

    def start(name, **kwargs):
        base = tmp_path / f"{name}-{len(servers)}"
        shutil.copytree(model_root / name, base)
        kwargs.setdefault("poll_seconds", 0)
        server = ModelServer(name, str(base), host="127.0.0.1", port=0, **kwargs).start()
        server.base_path = str(base)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


class Client:
    """A keep-alive HTTP/1.1 client: `get(path)` / `post(path, body)` -> (status, JSON)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, json.loads(data)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body):
        return self.request("POST", path, body)

    def close(self):
        self.conn.close()


@pytest.fixture
def client():
    clients = []

    def make(server):
        c = Client(server.port)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
