"""tf.device("/gpu:0") and tf.config's device queries: a tf.function without an explicit backend
called or traced inside a GPU scope compiles for the GPU backend (one trace cache per device);
eager ops there run on the host and say so; without a GPU the scope means the CPU with a
warning (soft placement, on by default as in TF), or with soft placement off the GPU backend's
clear UnavailableError;
list_physical_devices("GPU") is the driver probe's answer, asked on first use only."""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.gpu import function as gpu_function
from autograph_jit.errors import UnavailableError


@pytest.fixture
def emulated(monkeypatch):
    from autograph_jit.runtime.gpu import get_device
    dev = get_device("emulator")
    monkeypatch.setattr(gpu_function, "get_device", lambda kind=None: dev)
    return dev


@pytest.fixture
def no_gpu(monkeypatch):
    def refuse(kind=None):
        raise UnavailableError(None, None, "backend='gpu': the CUDA driver library "
                                           "libcuda.so.1 is not installed.")
    monkeypatch.setattr(gpu_function, "get_device", refuse)


def test_a_function_called_in_a_gpu_scope_compiles_for_the_gpu_with_its_own_cache(emulated):
    f = tf.function(lambda x: tf.nn.relu(x * 2.0 - 1.0))
    x = tf.constant(np.linspace(-1, 1, 7, dtype=np.float32))
    cpu_out = f(x).numpy()
    with tf.device("/gpu:0"):
        gpu_out = f(x).numpy()
        cf = f.get_concrete_function(x)
    assert cf.backend == "gpu" and cf._gpu is not None and cf._gpu.plans
    assert f.get_concrete_function(x).backend == "cpu"
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1   # the GPU trace is the twin's


def test_an_explicit_backend_wins_over_the_device_scope(emulated):
    f = tf.function(lambda x: x + 1.0, backend="cpu")
    with tf.device("GPU:0"):
        assert f.get_concrete_function(tf.constant(1.0)).backend == "cpu"


def test_a_cpu_scope_inside_a_gpu_scope_means_the_cpu(emulated):
    f = tf.function(lambda x: x + 1.0)
    with tf.device("/gpu:0"):
        with tf.device("/cpu:0"):
            assert f.get_concrete_function(tf.constant(1.0)).backend == "cpu"
        assert f.get_concrete_function(tf.constant(1.0)).backend == "gpu"


def test_eager_ops_in_a_gpu_scope_run_on_the_host_and_report_the_cpu(emulated):
    with tf.device("/gpu:0"):
        y = tf.constant([1.0, 2.0]) * 3.0
    assert y.device.endswith("device:CPU:0")
    np.testing.assert_array_equal(y.numpy(), [3.0, 6.0])


def test_a_gpu_scope_without_a_gpu_and_without_soft_placement_raises(no_gpu):
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(tf.errors.UnavailableError, match="no GPU is available") as e:
            with tf.device("/gpu:0"):
                pass
    finally:
        tf.config.set_soft_device_placement(True)
    assert "libcuda.so.1" in str(e.value) and "set_soft_device_placement" in str(e.value)


def test_soft_placement_runs_a_gpu_scope_on_the_cpu_and_warns_once(no_gpu, monkeypatch):
    from autograph_jit import eager_context
    monkeypatch.setattr(eager_context, "_SOFT_PLACEMENT_WARNED", [])
    assert tf.config.get_soft_device_placement()      # on by default, as in TF
    f = tf.function(lambda x: x * 2.0)
    with pytest.warns(RuntimeWarning, match="runs on the CPU") as caught:
        with tf.device("/gpu:0"):
            cf = f.get_concrete_function(tf.constant(1.0))
            assert float(f(tf.constant(2.0))) == 4.0
    assert caught[0].filename == __file__              # the warning names the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # once per process
        with tf.device("/gpu:0"):
            pass
    assert cf.backend == "cpu"


def test_only_gpu_zero_is_used(emulated):
    tf.config.set_soft_device_placement(False)
    try:
        with pytest.raises(tf.errors.UnavailableError, match="only GPU 0"):
            tf.device("/gpu:1")
    finally:
        tf.config.set_soft_device_placement(True)


def test_list_physical_devices_reflects_the_driver_probe(monkeypatch):
    from autograph_jit.runtime import cuda_probe
    monkeypatch.setattr(cuda_probe, "_count", [2])
    gpus = tf.config.list_physical_devices("GPU")
    assert [d.name for d in gpus] == ["/physical_device:GPU:0", "/physical_device:GPU:1"]
    assert all(d.device_type == "GPU" for d in gpus)
    assert [d.device_type for d in tf.config.list_physical_devices()] == ["CPU", "GPU", "GPU"]
    monkeypatch.setattr(cuda_probe, "_count", [0])
    assert tf.config.list_physical_devices("GPU") == []


def test_importing_and_tf_device_cpu_never_touch_cuda():
    code = textwrap.dedent("""
        import autograph_jit as tf
        with tf.device("/cpu:0"):
            tf.constant(1.0) + 1
        import sys
        maps = open("/proc/self/maps").read()
        probe = sys.modules.get("autograph_jit.runtime.cuda_probe")
        print("libcuda" in maps, None if probe is None else probe._answer)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "None"]


def test_a_warm_native_call_still_follows_a_gpu_scope(emulated):
    # the native warm-call dispatcher must not run the CPU executable inside tf.device("/gpu:0")
    f = tf.function(lambda x: x * 3.0 + 1.0)
    x = tf.constant(np.arange(5, dtype=np.float32))
    for _ in range(3):          # warm: the native dispatcher now serves f's calls
        f(x)
    with tf.device("/gpu:0"):
        f(x)
        assert f.get_concrete_function(x).backend == "gpu"
        assert f.get_concrete_function(x)._gpu.plans      # the GPU plan ran
    assert not tf.config.functions_run_eagerly()
