"""Keras fit/evaluate/predict under `tf.device("/GPU:0")` on the GPU backend (the grid emulator
here): the MLP and the seed CNN (benchmarks/cnn_step.py's layers) train to the CPU backend's
losses, the many-steps-per-call loop (keras/models/steps.py) and the step-by-step path both
compile for the GPU with no host step, a model made or compiled under a GPU scope trains there
when fit is called outside one (an enclosing scope wins), and without a GPU the scope means the
CPU with a warning (soft placement) or an UnavailableError (hard placement).

Tolerance: the GPU's elementwise math is the CPU backend's own (bit-equal), but its matmuls
(16x16 shared-memory tiles) and reductions (warp shuffles, then shared memory) add in another
order than the CPU backend's BLAS and vector loops: float32 sums of a few dozen terms differ in
the last bits (~1e-7 relative each), which Adam carries across steps; rtol 1e-5 on losses,
weights within 1e-4 relative (the CNN test of test_gpu_cnn_step.py uses the same bounds).
"""
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import eager_context
from autograph_jit.codegen.gpu import function as gpu_function
from autograph_jit.errors import UnavailableError
from autograph_jit.tracing.function import Function
from autograph_jit.keras.models.step_function import concrete_functions_of, explain_steps
from benchmarks import cnn_step

from .conftest import assemble_all

RTOL, ATOL = 1e-5, 1e-6


def _mlp():
    model = tf.keras.Sequential([tf.keras.Input(shape=(6,)),
                                 tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(3)])
    _seed_weights(model)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _cnn():
    image = (10, 10, 1)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=image),
        tf.keras.layers.Conv2D(cnn_step.FILTERS[0], 3, activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(cnn_step.FILTERS[1], 3, activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(cnn_step.CLASSES)])
    _seed_weights(model)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _seed_weights(model):
    r = np.random.default_rng(5)
    model.set_weights([r.normal(0, 0.3, w.shape).astype(np.float32)
                       for w in model.get_weights()])


def _data(n=20):
    r = np.random.default_rng(0)
    return r.normal(size=(n, 6)).astype(np.float32), r.integers(0, 3, n).astype(np.int32)


def _backends(model):
    """{backend of every compiled step (all kinds, all devices)}."""
    out = set()
    for fn in model._functions.values():
        cfs = fn.concrete_functions() if hasattr(fn, "concrete_functions") else \
            concrete_functions_of(fn) if isinstance(fn, Function) else []
        out |= {cf.backend for cf in cfs}
    return out


def _assert_same(cpu_model, gpu_model, h_cpu, h_gpu):
    for key in h_cpu.history:
        np.testing.assert_allclose(h_gpu.history[key], h_cpu.history[key], rtol=RTOL, atol=ATOL)
    for p, q in zip(cpu_model.get_weights(), gpu_model.get_weights()):
        np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-5)


def _gpu_report_ok(model, names):
    text = explain_steps(model)
    for name in names:
        assert f"How `{name}` is compiled (backend 'gpu')" in text, text
        assert f"gpu: {name} for shapes" in text, text
    assert "host:" not in text and "runs on the host" not in text, text
    return text


def test_mlp_fit_under_a_gpu_scope_trains_on_the_gpu_to_the_cpu_losses_many_steps_per_call(
        device):
    x, y = _data()
    cpu, gpu = _mlp(), _mlp()
    h_cpu = cpu.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    with tf.device("/GPU:0"):
        h_gpu = gpu.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    _assert_same(cpu, gpu, h_cpu, h_gpu)
    assert h_gpu.history["loss"][-1] < h_gpu.history["loss"][0]
    assert ("train_loop", 8) in gpu._functions   # the looped path ran (2 full batches a call)
    assert _backends(gpu) == {"gpu"}
    _gpu_report_ok(gpu, ["train_loop_function", "train_function"])
    for cf in concrete_functions_of(gpu._functions[("train_loop", 8)]):
        assemble_all(cf._gpu.last_plan())        # ptxas accepts the loop's kernels


def test_mlp_fit_step_by_step_with_a_batch_callback_and_validation_runs_on_the_gpu(device):
    x, y = _data()
    seen = []
    cb = tf.keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    cpu, gpu = _mlp(), _mlp()
    kw = dict(epochs=1, batch_size=8, shuffle=False, verbose=0, validation_data=(x[:6], y[:6]))
    h_cpu = cpu.fit(x, y, callbacks=[cb], **kw)
    with tf.device("/GPU:0"):
        h_gpu = gpu.fit(x, y, callbacks=[cb], **kw)
    assert seen == [0, 1, 2] * 2                 # every batch seen: no looped path
    assert ("train_loop", 8) not in gpu._functions
    _assert_same(cpu, gpu, h_cpu, h_gpu)
    assert "val_loss" in h_gpu.history
    _gpu_report_ok(gpu, ["train_function", "test_function"])


def test_mlp_evaluate_and_predict_under_a_gpu_scope_match_the_cpu(device):
    x, y = _data(13)
    model = _mlp()
    want_eval = model.evaluate(x, y, batch_size=5, verbose=0)
    want_pred = model.predict(x, batch_size=5, verbose=0)
    with tf.device("/GPU:0"):
        got_eval = model.evaluate(x, y, batch_size=5, verbose=0)
        got_pred = model.predict(x, batch_size=5, verbose=0)
        got_batch = model.predict_on_batch(x[:4])
    np.testing.assert_allclose(got_eval, want_eval, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got_pred, want_pred, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got_batch, want_pred[:4], rtol=RTOL, atol=ATOL)
    assert "gpu" in {cf.backend for cf in model.predict_function.concrete_functions()}
    assert "(backend 'gpu')" in model.test_function.explain()


def test_a_model_compiled_under_a_gpu_scope_fits_there_and_an_enclosing_cpu_scope_wins(device):
    x, y = _data(16)
    with tf.device("/GPU:0"):
        model = _mlp()
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert _backends(model) == {"gpu"}
    with tf.device("/CPU:0"):
        model.evaluate(x, y, batch_size=8, verbose=0)
    assert {cf.backend for cf in model.test_function.concrete_functions()} == {"cpu"}
    later = _mlp()                               # made and compiled outside any scope
    later.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert _backends(later) == {"cpu"}


def test_seed_cnn_fit_under_a_gpu_scope_matches_the_cpu_backend(device):
    image_x, labels = cnn_step.batch((10, 10, 1), 6)
    cpu, gpu = _cnn(), _cnn()
    kw = dict(epochs=2, batch_size=3, shuffle=False, verbose=0)
    h_cpu = cpu.fit(image_x, labels, **kw)
    with tf.device("/GPU:0"):
        h_gpu = gpu.fit(image_x, labels, **kw)
    _assert_same(cpu, gpu, h_cpu, h_gpu)
    text = _gpu_report_ok(gpu, ["train_loop_function"])
    assert "conv2d" in "\n".join(cf._gpu.ptx() for cf in
                                 concrete_functions_of(gpu._functions[("train_loop", 3)]))
    assert text


@pytest.fixture
def no_gpu(monkeypatch):
    def refuse(kind=None):
        raise UnavailableError(None, None, "backend='gpu': the CUDA driver library "
                                           "libcuda.so.1 is not installed.")
    monkeypatch.setattr(gpu_function, "get_device", refuse)
    monkeypatch.setattr(eager_context, "_SOFT_PLACEMENT_WARNED", [])


def test_fit_under_a_gpu_scope_without_a_gpu_trains_on_the_cpu_with_one_warning(no_gpu):
    x, y = _data(16)
    cpu, soft = _mlp(), _mlp()
    h_cpu = cpu.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    with pytest.warns(RuntimeWarning, match="soft device placement"):
        with tf.device("/GPU:0"):
            h_soft = soft.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert h_soft.history == h_cpu.history       # the same backend: bit-equal
    assert _backends(soft) == {"cpu"}


def test_fit_under_a_gpu_scope_without_a_gpu_and_without_soft_placement_raises(no_gpu):
    x, y = _data(16)
    model = _mlp()
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(tf.errors.UnavailableError, match="no GPU is available"):
            with tf.device("/GPU:0"):
                model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    finally:
        tf.config.set_soft_device_placement(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)   # outside the scope: the CPU
    assert _backends(model) == {"cpu"}


@pytest.mark.gpu
def test_mlp_fit_on_the_device_matches_the_cpu_backend(monkeypatch):
    """On the device named by AUTOGRAPH_JIT_GPU (the emulator here; a GPU in
    benchmarks/gpu_check.py, where other fma contractions and summation orders make rtol 1e-4
    the bound)."""
    import os
    kind = os.environ.get("AUTOGRAPH_JIT_GPU") or "emulator"
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU", kind)
    x, y = _data()
    cpu, gpu = _mlp(), _mlp()
    h_cpu = cpu.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    with tf.device("/GPU:0"):
        h_gpu = gpu.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        pred = gpu.predict(x, batch_size=8, verbose=0)
    rtol = 1e-4 if kind == "cuda" else RTOL
    np.testing.assert_allclose(h_gpu.history["loss"], h_cpu.history["loss"], rtol=rtol,
                               atol=1e-6)
    np.testing.assert_allclose(pred, cpu.predict(x, batch_size=8, verbose=0), rtol=rtol * 10,
                               atol=1e-5)
    assert _backends(gpu) == {"gpu"}
