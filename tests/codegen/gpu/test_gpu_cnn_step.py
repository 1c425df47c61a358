"""The seed CNN's training step (Conv2D(16,3) → MaxPool → Conv2D(32,3) → MaxPool → Flatten →
Dense(10), softmax cross-entropy, Adam; benchmarks/cnn_step.py) with backend='gpu' and
strict=True: every op a GPU kernel, equal to eager step by step on the grid emulator, and its
PTX accepted by ptxas for sm_75/80/90. The Keras Sequential model of those layers: its
train_step compiled with backend='gpu' equals eager too (Keras' own compile/fit has no backend
switch). The `gpu`-marked test runs the step on the device named by AUTOGRAPH_JIT_GPU (the
emulator here; a real GPU in benchmarks/gpu_check.py)."""
import os

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu.function import GpuFunction
from autograph_jit.codegen.gpu.target import toolkit
from benchmarks import cnn_step

from .conftest import assemble_all

IMAGE = (12, 12, 1)
CONV_POOL_OPS = {"conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "max_pool2d",
                 "max_pool_grad"}


def _eager_and_gpu(image, n, steps, **kwargs):
    """Losses of `steps` steps eagerly and compiled (kwargs: tf.function's), the two variable
    lists after them, and the compiled step."""
    x, y = (tf.constant(a) for a in cnn_step.batch(image, n))
    eager_step, eager_params, _ = cnn_step.make_step(tf, image)
    step, params, opt = cnn_step.make_step(tf, image)
    opt.build(params)   # Adam's slots exist before tracing: one trace
    gpu_step = tf.function(step, **kwargs)
    losses = [(float(eager_step(x, y)), float(gpu_step(x, y))) for _ in range(steps)]
    return losses, eager_params, params, gpu_step, (x, y)


def _assert_same_training(losses, eager_params, gpu_params, loose=False):
    """Equal losses and weights. loose (a real GPU at MNIST size: other fma contractions and
    summation orders): a gradient within rounding of zero may flip Adam's step there, so a few
    weights may differ by up to the learning rate a step; all others agree."""
    want, got = zip(*losses)
    np.testing.assert_allclose(got, want, rtol=1e-4 if loose else 1e-5, atol=1e-6)
    assert want[-1] < want[0]   # it trains
    for p, q in zip(eager_params, gpu_params):
        p, q = p.numpy(), q.numpy()
        if not loose:
            np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-5)
            continue
        close = np.abs(q - p) <= 1e-5 + 1e-4 * np.abs(p)
        assert close.mean() >= 0.999 and np.abs(q - p).max() <= 1.2 * cnn_step.LR * len(losses)


def test_seed_cnn_adam_step_runs_strict_on_the_gpu_and_matches_eager_step_by_step(device):
    losses, eager_params, params, gpu_step, args = _eager_and_gpu(IMAGE, 3, 4, backend="gpu",
                                                                  strict=True)
    _assert_same_training(losses, eager_params, params)
    cf = gpu_step.get_concrete_function(*args)
    plan = cf._gpu.last_plan()
    assert plan.host_steps() == []
    assert CONV_POOL_OPS <= {n.op.name for n in cf.optimized_graph.walk()}
    assert gpu_step.experimental_get_tracing_count() == 1
    ptx = cf.ptx()   # (the MNIST-size test below runs ptxas on these kernels)
    assert "conv2d_backprop_filter" in ptx and "max_pool_argmax" in ptx


@pytest.mark.skipif(toolkit()["ptxas"] is None, reason="ptxas (CUDA) not installed")
def test_seed_cnn_step_at_mnist_size_compiles_to_ptx_ptxas_accepts_with_no_host_op():
    image = (28, 28, 1)
    x, y = cnn_step.batch(image, 64)
    step, params, opt = cnn_step.make_step(tf, image)
    opt.build(params)
    cf = tf.function(step, backend="eager").get_concrete_function(tf.constant(x),
                                                                   tf.constant(y))
    plan = GpuFunction(cf.optimized_graph, "cnn_step").prepare([x, y])   # no device needed
    assert plan.host_steps() == []
    assemble_all(plan)


def _keras_cnn():
    model = tf.keras.Sequential([
        tf.keras.Input(shape=IMAGE),
        tf.keras.layers.Conv2D(16, 3, activation="relu"), tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(32, 3, activation="relu"), tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(10)])
    r = np.random.default_rng(5)
    model.set_weights([r.normal(0, 0.2, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_keras_sequential_cnn_train_step_compiled_for_the_gpu_matches_eager(device):
    x, y = (tf.constant(a) for a in cnn_step.batch(IMAGE, 3))
    eager, compiled = _keras_cnn(), _keras_cnn()
    compiled.optimizer.build(compiled.trainable_variables)
    step = tf.function(compiled.train_step, backend="gpu", strict=True)
    for _ in range(3):
        want = float(eager.train_step((x, y))["loss"])
        got = float(step((x, y))["loss"])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for p, q in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-5)
    assert step.get_concrete_function((x, y))._gpu.last_plan().host_steps() == []


@pytest.mark.gpu
def test_seed_cnn_step_on_the_device_matches_eager(monkeypatch):
    kind = os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator"
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU", kind)
    image, n = ((28, 28, 1), 64) if kind == "cuda" else (IMAGE, 2)
    losses, eager_params, params, _, _ = _eager_and_gpu(image, n, 3, backend="gpu",
                                                        strict=True)
    _assert_same_training(losses, eager_params, params, loose=kind == "cuda")
