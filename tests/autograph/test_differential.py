"""Random inputs through programs mixing every converted construct: the tf.function (traced
once) must agree with the eager run on each."""
import numpy as np
from hypothesis import given, settings, strategies as st

import autograph_jit as tf

from .helpers import assert_same, eager


def scan(x, limit):
    total = 0
    count = 0
    for v in x:
        if v < 0:
            continue
        if total + v > limit:
            break
        total += v
        count += 1
    if count == 0:
        return -1, total
    return count, total if total % 2 == 0 else -total


_scan = tf.function(scan, input_signature=[tf.TensorSpec([None], tf.int32),
                                           tf.TensorSpec([], tf.int32)])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-5, 9), max_size=8), st.integers(0, 30))
def test_loop_with_continue_break_and_returns_matches_eager_on_random_inputs(xs, limit):
    x = tf.constant(np.array(xs, np.int32))
    assert_same(_scan(x, tf.constant(limit)), eager(scan, x, tf.constant(limit)))
    assert _scan.experimental_get_tracing_count() == 1
