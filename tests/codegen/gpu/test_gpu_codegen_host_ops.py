"""What cannot run on the GPU runs on the host, visibly: explain() names each host step with the
bytes it copies each way (and the bytes every call copies in and out), a warning says so once,
strict=True makes it a FallbackError; host ops by design (tf.print) are not fallbacks."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf

from .conftest import run_both


def _with_host_op(x):
    y = tf.exp(x) * 2.0
    return tf.linalg.band_part(y, 0, -1) + 1.0   # matrix_band_part: no GPU kernel


def test_a_host_op_is_reported_with_its_bytes_and_results_still_match(device):
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, cf = run_both(_with_host_op, x, strict=False)
    assert any("run on the host" in str(w.message) for w in caught)
    text = str(cf.explain())
    assert "host: matrix_band_part" in text and "no GPU kernel for matrix_band_part" in text
    assert "copies 48 B to the host and 48 B to the device" in text
    assert "48 B inputs to the device, 48 B results" in text


def test_strict_makes_a_host_op_an_error(device):
    f = tf.function(_with_host_op, backend="gpu", strict=True)
    with pytest.raises(tf.errors.FallbackError, match="matrix_band_part"):
        f(np.ones((3, 4), np.float32))


def test_print_is_a_host_op_by_design_not_a_fallback(device, capsys):
    def f(x):
        tf.print("value", tf.reduce_sum(x))
        return x * 2.0
    g = tf.function(f, backend="gpu", strict=True)
    np.testing.assert_array_equal(g(np.ones(3, np.float32)).numpy(), np.full(3, 2.0))
    assert "value 3" in capsys.readouterr().err   # (tf.print writes to stderr)


def test_explain_shows_how_the_driver_loaded_the_module_and_its_resources():
    from autograph_jit.codegen.gpu.function import _load_lines

    class Loaded:   # what runtime/gpu's CUDA module reports after ptxas
        load_report = "cubin from ptxas 13.0 for sm_90"
        usage = {"k_fusion_0": {"registers": 22, "shared_bytes": 0},
                 "k_matmul_0": {"registers": 40, "shared_bytes": 2048, "spill_stores": 8}}
    lines = _load_lines(Loaded())
    assert lines[0] == "gpu module: cubin from ptxas 13.0 for sm_90"
    assert lines[1].startswith("gpu resources (most registers first): k_matmul_0 40 regs, "
                               "2048 B shared, 8 B spilled; k_fusion_0 22 regs")
    assert _load_lines(object()) == []
