"""The convolution kernels' own float32 product (codegen/llvm/k_gemm.py, used on AVX-512 hosts in
place of BLAS): conv2d and both its gradients agree with eager over row tails (output pixels not
a multiple of the 6-row block), column tails (channels not a multiple of 32, masked), products
wider than one column block, and the transposed-A product of the filter gradient; float64 stays
on BLAS."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm import k_gemm

from .test_conv_native import CONV_OPS, _both, _close, _conv_and_grads, _data, _native

pytestmark = pytest.mark.skipif(not k_gemm.available(tf.float32),
                                reason="k_gemm runs on AVX-512 hosts only")


@pytest.mark.parametrize("n,hw,c,o", [
    (2, (7, 9), 3, 5),       # 35 pixels (5 full row blocks + 5 tail rows), 5 of 32 columns
    (6, (13, 11), 16, 32),   # one full column block; filter gradient in image groups
    (3, (6, 6), 8, 40),      # 40 columns: a full block and a masked one
    (1, (5, 8), 2, 1),       # one output channel
    (5, (9, 9), 33, 17),     # input gradient of 297 columns (KD = 3*3*33)
])
def test_conv2d_and_gradients_through_the_own_product_match_eager(n, hw, c, o):
    rng = np.random.default_rng(n * 100 + c)
    x, w = _data(rng, (n, *hw, c), np.float32), _data(rng, (3, 3, c, o), np.float32)
    got, want, cf = _both(_conv_and_grads(1, "VALID", 1), x, w)
    _close(got, want, np.float32)
    _native(cf, CONV_OPS)
    ir = cf.llvm_ir()
    assert "agj_sgemm_nn" in ir  # (forward, input gradient)
    # the filter gradient of a batch (one image: BLAS accumulates image by image)
    assert ("agj_sgemm_tn" in ir) == (n > 1)


def test_float64_convolutions_stay_on_blas():
    rng = np.random.default_rng(3)
    x, w = _data(rng, (2, 6, 6, 3), np.float64), _data(rng, (3, 3, 3, 4), np.float64)
    got, want, cf = _both(_conv_and_grads(1, "SAME", 1), x, w)
    _close(got, want, np.float64)
    assert "agj_sgemm" not in cf.llvm_ir()
