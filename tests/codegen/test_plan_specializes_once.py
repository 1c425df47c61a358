"""CpuFunction._plan (codegen/llvm/__init__.py): a graph without TensorArray ops is specialized
once, by its Executable; graphs the partitioner cuts still run as before."""
import collections
import importlib

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen import llvm as cpu_backend

specialize_module = importlib.import_module("autograph_jit.codegen.llvm.specialize")


def _count_specializations(monkeypatch):
    seen = collections.Counter()
    real = specialize_module.specialize_node

    def counting(node, env):
        seen[id(node)] += 1
        return real(node, env)
    monkeypatch.setattr(specialize_module, "specialize_node", counting)
    monkeypatch.setattr(cpu_backend, "specialize_node", counting)
    return seen


def test_each_node_of_a_plain_graph_is_specialized_once(monkeypatch):
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)

    @tf.function(backend="cpu", autograph=False)
    def step(x):
        y = tf.nn.relu(tf.matmul(x, w) - 0.5)
        w.assign_sub(0.01 * tf.matmul(tf.transpose(x), y))
        return tf.reduce_sum(y, axis=1)

    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    want = np.maximum(x @ w.numpy() - 0.5, 0).sum(axis=1)
    seen = _count_specializations(monkeypatch)
    got = step(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    graph = step.get_concrete_function(x).optimized_graph
    assert seen and set(seen.values()) == {1}, seen
    assert all(seen[id(node)] == 1 for node in graph.nodes)


@pytest.mark.filterwarnings("ignore:.*run on the interpreter")
def test_a_graph_cut_at_a_data_dependent_shape_still_runs_in_segments():
    f = tf.function(lambda x: tf.reduce_sum(tf.square(tf.boolean_mask(x, x > 0.0))),
                    backend="cpu", autograph=False)
    x = np.array([-1.0, 2.0, 3.0, -4.0], np.float32)
    assert float(f(x)) == 13.0
    cf = f.get_concrete_function(x)
    assert len(cf.native_executables) >= 2   # (the segments before and after the cut)
