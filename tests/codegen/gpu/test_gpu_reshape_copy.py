"""backend='gpu' on the grid emulator: a reshape whose result is no strided view of its input's
layout (of a transpose, a reversed or stepped slice, a broadcast) runs as a GPU copy kernel and
a view, under strict=True (no host step), equal to eager bit for bit."""
import numpy as np
import pytest

import autograph_jit as tf

from .conftest import run_both

RNG = np.random.default_rng(14)


@pytest.mark.parametrize("shape,perm", [((2, 3, 4, 5), (0, 2, 1, 3)), ((4, 6), (1, 0)),
                                        ((1, 3, 1, 4), (2, 3, 0, 1)), ((0, 3, 2), (2, 1, 0))])
def test_reshape_of_a_transpose_is_a_gpu_copy_kernel(device, shape, perm):
    x = RNG.standard_normal(shape).astype(np.float32)

    def f(v):
        r = tf.reshape(tf.transpose(v, perm), [-1])
        return r, r * 2.0 + 1.0
    _, cf = run_both(f, x, rtol=0, atol=0)
    plan = cf._gpu.last_plan()
    assert plan.fallbacks == []
    if x.size:
        assert any("contiguous copy" in a for a in plan.annotations.values())


def test_reshape_of_reversed_stepped_and_broadcast_layouts_on_gpu(device):
    x = RNG.standard_normal((6, 5, 4)).astype(np.float32)
    y = RNG.integers(-9, 9, size=(3, 1, 4)).astype(np.int32)

    def f(v, w):
        return (tf.reshape(v[::-1, :, ::-2], [-1]), tf.reshape(v[::-2, ::-1][:, 1:], [3, 16]),
                tf.reshape(tf.broadcast_to(w, [3, 2, 4]), [6, 4]))
    run_both(f, x, y, rtol=0, atol=0)
