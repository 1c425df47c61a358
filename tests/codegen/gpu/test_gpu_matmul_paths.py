"""The GPU matmul's two paths (codegen/gpu/k_matmul.py): cuBLAS (here the emulator's emulated
cuBLAS, behind the same handle/stream/argument mapping as libcublas) and the generated tiled
kernel, each against eager and against each other, under AUTOGRAPH_JIT_GPU_MATMUL=cublas and
=kernel; what "auto" picks and why (cf.explain() names the path of every matmul); a training
step with cuBLAS forced on vs off vs eager."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import errors
from autograph_jit.codegen.gpu import k_gemm

from .conftest import assemble_all, run_both

RNG = np.random.default_rng(11)
MODES = ["cublas", "kernel"]


def _t(*shape, dtype=np.float32):
    return tf.constant(RNG.standard_normal(shape).astype(dtype))


def _matmul_lines(fn, *args):
    text = fn.get_concrete_function(*args).explain()
    return [line.strip() for line in text.splitlines() if line.strip().startswith("gpu matmul")]


def _both_paths(monkeypatch, fn, *args, want_path=None, rtol=1e-5, atol=1e-5):
    """fn on the GPU under each mode, against eager and against each other; returns the explain
    lines of each mode. want_path: {mode: text every matmul line of that mode contains}."""
    results, lines = {}, {}
    for mode in MODES:
        monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", mode)
        gpu = tf.function(fn, backend="gpu", strict=True)
        results[mode] = np.asarray(gpu(*args))
        lines[mode] = _matmul_lines(gpu, *args)
        assert lines[mode], "no matmul reported"
        expect = (want_path or {}).get(mode, "cuBLAS" if mode == "cublas" else "generated kernel")
        assert all(expect in line for line in lines[mode]), lines[mode]
        assemble_all(gpu.get_concrete_function(*args)._gpu.last_plan())
    want = np.asarray(fn(*args))
    for mode in MODES:
        assert results[mode].dtype == want.dtype and results[mode].shape == want.shape
        np.testing.assert_allclose(results[mode], want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(results["cublas"], results["kernel"], rtol=rtol, atol=atol)
    return lines


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_every_transpose_combination_matches_eager_on_both_paths(device, monkeypatch, ta, tb):
    a = _t(*((19, 13) if ta else (13, 19)))
    b = _t(*((21, 19) if tb else (19, 21)))
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y, transpose_a=ta, transpose_b=tb), a, b,
                rtol=1e-4)


def test_transposed_views_are_read_in_place_by_cublas(device, monkeypatch):
    a, b = _t(7, 5), _t(9, 7)
    f = lambda x, y: tf.matmul(tf.transpose(x), tf.transpose(y))
    _both_paths(monkeypatch, f, a, b)
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", "cublas")
    gpu = tf.function(f, backend="gpu")
    gpu(a, b)
    plan = gpu.get_concrete_function(a, b)._gpu.last_plan()
    assert not plan.launches() and len(plan.library_calls()) == 1   # no copy kernel first


@pytest.mark.parametrize("shapes", [((1, 1), (1, 1)), ((1, 6), (6, 1)), ((6, 1), (1, 4)),
                                    ((0, 5), (5, 3)), ((4, 0), (0, 3)), ((3, 5), (5, 0))])
def test_sizes_zero_and_one(device, monkeypatch, shapes):
    a, b = _t(*shapes[0]), _t(*shapes[1])
    empty = 0 in (shapes[0][0], shapes[1][1])
    want = {"cublas": "nothing to compute"} if empty else None
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y), a, b, want_path=want)


def test_batched_and_broadcast_batches_in_float64(device, monkeypatch):
    a, b = _t(2, 3, 4, 5, dtype=np.float64), _t(5, 6, dtype=np.float64)
    lines = _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y), a, b, rtol=1e-12, atol=1e-12)
    assert "cublasDgemmStridedBatched" in lines["cublas"][0]
    c, d = _t(3, 4, 6), _t(3, 6, 2)
    lines = _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y, transpose_a=False), c, d)
    assert "cublasSgemmStridedBatched" in lines["cublas"][0]


def test_batch_dims_without_one_stride_take_the_generated_kernel(device, monkeypatch):
    a, b = _t(2, 1, 4, 5), _t(1, 3, 5, 6)       # each broadcasts over a different batch dim
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y), a, b,
                want_path={"cublas": "do not collapse to one batch stride"})


def test_strided_operand_and_integers_take_the_generated_kernel_with_the_reason(
        device, monkeypatch):
    a, b = _t(6, 10), _t(5, 4)
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x[:, ::2], y), a, b,
                want_path={"cublas": "no unit stride"})
    ai = tf.constant(RNG.integers(-5, 5, (4, 6)).astype(np.int32))
    bi = tf.constant(RNG.integers(-5, 5, (6, 3)).astype(np.int32))
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x, y), ai, bi,
                want_path={"cublas": "int32: the cuBLAS path takes float32 and float64"})


def test_fused_epilogue_runs_after_cublas_when_forced(device, monkeypatch):
    a, b, bias = _t(9, 12), _t(12, 7), _t(7)

    def f(x, w, c):
        return tf.nn.relu(tf.matmul(x, w) + c)
    lines = _both_paths(monkeypatch, f, a, b, bias,
                        want_path={"cublas": "then the epilogue as map kernel",
                                   "kernel": "with the epilogue fused"})
    assert "matmul" in lines["cublas"][0]


def test_auto_keeps_a_small_epilogue_fused_and_splits_a_big_one(device, monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_JIT_GPU_MATMUL", raising=False)
    a, b, bias = _t(9, 12), _t(12, 7), _t(7)

    def f(x, w, c):
        return tf.nn.relu(tf.matmul(x, w) + c)
    gpu = tf.function(f, backend="gpu", strict=True)
    gpu(a, b, bias)
    (line,) = _matmul_lines(gpu, a, b, bias)
    assert "generated kernel" in line and "one fused launch costs less" in line
    monkeypatch.setattr(k_gemm, "EPILOGUE_SPLIT_FLOPS", 1000)
    run_both(f, a, b, bias)
    gpu = tf.function(f, backend="gpu", strict=True)
    gpu(a, b, bias)
    (line,) = _matmul_lines(gpu, a, b, bias)
    assert "then the epilogue as map kernel" in line and "AUTOGRAPH_JIT_GPU_MATMUL=auto" in line


def test_auto_without_cublas_uses_the_kernel_and_forced_cublas_raises(device, monkeypatch):
    monkeypatch.setattr(k_gemm, "_library", lambda lw: (None, "libcublas: not on this test"))
    a, b = _t(4, 5), _t(5, 3)
    monkeypatch.delenv("AUTOGRAPH_JIT_GPU_MATMUL", raising=False)
    gpu = tf.function(lambda x, y: tf.matmul(x, y), backend="gpu")
    np.testing.assert_allclose(gpu(a, b), np.asarray(a) @ np.asarray(b), rtol=1e-5)
    (line,) = _matmul_lines(gpu, a, b)
    assert "generated kernel" in line and "cuBLAS not available: libcublas: not on" in line
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", "cublas")
    with pytest.raises(errors.UnavailableError, match="AUTOGRAPH_JIT_GPU_MATMUL=cublas"):
        tf.function(lambda x, y: tf.matmul(x, y), backend="gpu")(a, b)


def test_matmul_in_a_loop_body_goes_through_cublas(device, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", "cublas")
    w = _t(6, 6) * 0.3

    def f(x, m):
        for _ in tf.range(3):
            x = tf.tanh(tf.matmul(x, m))
        return x
    x = _t(4, 6)
    run_both(f, x, w)
    plan = tf.function(f, backend="gpu").get_concrete_function(x, w)
    plan(x, w)
    assert len(plan._gpu.last_plan().library_calls()) == 1


def _train(mode, monkeypatch, steps=3):
    """A two-layer dense classifier trained `steps` Adam steps: (losses, final weights); mode
    None is eager."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((24, 10)).astype(np.float32))
    y = tf.constant(rng.integers(0, 4, 24).astype(np.int32))
    params = [tf.Variable(rng.standard_normal(s).astype(np.float32) * 0.3)
              for s in ((10, 16), (16,), (16, 4), (4,))]
    opt = tf.keras.optimizers.Adam(0.05)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(xb, params[0]) + params[1])
            logits = tf.matmul(h, params[2]) + params[3]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits))
        opt.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss
    if mode is not None:
        monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", mode)
        step = tf.function(step, backend="gpu", strict=True)
    losses = [float(step(x, y)) for _ in range(steps)]
    if mode is not None:
        lines = _matmul_lines(step, x, y)
        assert len(lines) >= 4, lines     # forward and both gradients of each layer
        want = "cuBLAS" if mode == "cublas" else "generated kernel"
        assert all(want in line for line in lines), lines
    return losses, [p.numpy() for p in params]


def test_training_steps_with_cublas_on_and_off_match_eager(device, monkeypatch):
    eager = _train(None, monkeypatch)
    for mode in MODES:
        losses, weights = _train(mode, monkeypatch)
        np.testing.assert_allclose(losses, eager[0], rtol=1e-4)
        for got, want in zip(weights, eager[1]):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_offset_views_are_read_at_their_offset(device, monkeypatch):
    a, b = _t(8, 9), _t(12, 5)
    _both_paths(monkeypatch, lambda x, y: tf.matmul(x[2:6, 1:8], y[3:10]), a, b)
