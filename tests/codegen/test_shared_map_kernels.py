"""Elementwise fusions that compute the same thing over different lengths share one kernel that
takes the length per call (codegen/llvm/k_map.py, "Shared kernels"): fewer functions for LLVM,
the same bits as each node's own kernel."""
import re

import numpy as np

import autograph_jit as tf


def _update(v, g, lr):
    """An optimizer-like update: one elementwise fusion per variable."""
    return v - lr * (g * g + 0.5 * g) / (tf.sqrt(g * g) + 1e-3)


def _kernel_definitions(text):
    return re.findall(r'^define (?:internal )?i32 @"?(k_\w+)"?\(', text, re.M)


def _data(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


SHAPES = [(784, 128), (128,), (128, 10), (10,)]


def test_same_update_over_four_lengths_compiles_one_kernel():
    @tf.function
    def step(vs, gs):
        return [_update(v, g, 0.01) for v, g in zip(vs, gs)]
    vs, gs = _data(*SHAPES), _data(*SHAPES, seed=1)
    args = ([tf.constant(v) for v in vs], [tf.constant(g) for g in gs])
    got = step(*args)
    text = step.get_concrete_function(*args).llvm_ir()
    fusions = [k for k in _kernel_definitions(text) if k.startswith("k_fusion")]
    assert len(fusions) == 1, fusions
    assert text.count(f'call i32 @"{fusions[0]}"(') == 4
    assert re.search(r"^; fusion \[.*\] ×4  from ", text, re.M)   # (llvm_ir() says it serves 4)
    for v, g, out in zip(vs, gs, got):
        want = v - np.float32(0.01) * (g * g + np.float32(0.5) * g) / (np.sqrt(g * g) +
                                                                       np.float32(1e-3))
        np.testing.assert_allclose(out.numpy(), want, rtol=2e-6, atol=1e-7)


def test_shared_kernel_gives_the_bits_of_each_nodes_own_kernel():
    @tf.function
    def together(vs, gs):
        return [_update(v, g, 0.01) for v, g in zip(vs, gs)]

    @tf.function
    def alone(v, g):
        return _update(v, g, 0.01)
    vs, gs = _data(*SHAPES, seed=2), _data(*SHAPES, seed=3)
    shared = together([tf.constant(v) for v in vs], [tf.constant(g) for g in gs])
    for v, g, out in zip(vs, gs, shared):
        own = alone(tf.constant(v), tf.constant(g)).numpy()
        assert own.tobytes() == out.numpy().tobytes()


def test_different_broadcasts_or_bodies_are_not_shared():
    @tf.function
    def step(a, b, c, d, s):
        return a * s + 1.0, b * s + 1.0, c * d + 1.0, b - s * 2.0
    a, b, c, d = _data((64,), (32,), (48,), (48,))
    s = np.float32(3.0)
    args = tuple(tf.constant(t) for t in (a, b, c, d, s))
    outs = step(*args)
    text = step.get_concrete_function(*args).llvm_ir()
    fusions = [k for k in _kernel_definitions(text) if k.startswith("k_fusion")]
    # a*s+1 and b*s+1 share (the same body, a broadcast scalar); c*d+1, the same body over two
    # arrays, gets its own (b - s*2 is another body: not a fusion of these)
    assert len(fusions) == 2, fusions
    assert sorted(text.count(f'call i32 @"{k}"(') for k in fusions) == [1, 2]
    for got, want in zip(outs, (a * s + 1, b * s + 1, c * d + 1, b - s * 2)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_maps_big_enough_for_threads_keep_their_own_kernel():
    from autograph_jit.codegen.llvm import k_map

    @tf.function
    def step(a, b):
        return a * 2.0 + 1.0, b * 2.0 + 1.0
    a, b = _data((k_map.PARALLEL_MIN + 64,), (100,))
    args = (tf.constant(a), tf.constant(b))
    big, small = step(*args)
    kernels = [k for k in _kernel_definitions(step.get_concrete_function(*args).llvm_ir())
               if k.startswith("k_fusion") and "_chunk" not in k]
    assert len(kernels) == 2, kernels
    np.testing.assert_allclose(big.numpy(), a * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(small.numpy(), b * 2 + 1, rtol=1e-6)


def test_bodies_differing_only_in_the_sign_of_a_zero_are_not_shared():
    # (0.0 == -0.0 in Python: the key compares float attributes by their bits)
    def f(a, b):
        return tf.nn.leaky_relu(a, alpha=0.0) * 2.0, tf.nn.leaky_relu(b, alpha=-0.0) * 2.0
    a, b = tf.constant(-np.ones(64, np.float32)), tf.constant(-np.ones(32, np.float32))
    compiled, eager = tf.function(f)(a, b), f(a, b)
    for got, want in zip(compiled, eager):
        np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(want.numpy()))
    assert np.signbit(eager[0].numpy()).all() and not np.signbit(eager[1].numpy()).any()
