"""Behaviour of tf.nn beyond the per-op specs (specs_nn.py, run by test_registry.py): numerical
stability for huge logits, SAME/VALID geometry, error messages, dropout's statistics, and the
gradients of gradients that the fused VJPs provide."""
import numpy as np
import pytest

import autograph_jit as tf

nn = tf.nn


def _finite(t):
    return bool(np.all(np.isfinite(np.asarray(t))))


# -- stability ---------------------------------------------------------------------------------


def test_softmax_and_log_softmax_are_stable_for_logits_of_1000():
    x = tf.constant([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    np.testing.assert_allclose(nn.softmax(x).numpy(), [[0, 0, 1], [0.5, 0.5, 0]])
    half = -np.log(2)
    np.testing.assert_allclose(nn.log_softmax(x).numpy(),
                               [[-2000, -1000, 0], [half, half, -2000 + half]], rtol=1e-6)


def test_softplus_is_stable_for_large_magnitudes():
    y = nn.softplus(tf.constant([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(y.numpy(), [0, np.exp(-50), np.log(2), 50, 1000], rtol=1e-6)
    with tf.GradientTape() as tape:
        x = tf.constant([-1000.0, 1000.0])
        tape.watch(x)
        y = nn.softplus(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0, 1])


def test_cross_entropies_are_finite_for_logits_of_1000():
    logits = tf.constant([[1000.0, -1000.0, 0.0]])
    sparse = nn.sparse_softmax_cross_entropy_with_logits(tf.constant([1]), logits)
    np.testing.assert_allclose(sparse.numpy(), [2000.0])
    dense = nn.softmax_cross_entropy_with_logits(tf.constant([[0.0, 1.0, 0.0]]), logits)
    np.testing.assert_allclose(dense.numpy(), [2000.0])
    sig = nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.0, 0.0, 1.0, 0.0]),
                                               logits=tf.constant([1000.0, -1000.0,
                                                                   -1000.0, 1000.0]))
    np.testing.assert_allclose(sig.numpy(), [0, 0, 1000, 1000])


def test_cross_entropy_gradients_are_finite_and_fused_for_logits_of_1000():
    logits = tf.constant([[1000.0, -1000.0, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        sparse = nn.sparse_softmax_cross_entropy_with_logits(tf.constant([1]), logits)
        dense = nn.softmax_cross_entropy_with_logits(tf.constant([[0.0, 1.0, 0.0]]), logits)
        sig = tf.reduce_sum(nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([[1.0, 0.0, 0.5]]), logits=logits))
    for loss in (sparse, dense):
        np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), [[1, -1, 0]])
    np.testing.assert_allclose(tape.gradient(sig, logits).numpy(), [[0, 0, 0]])


def test_sigmoid_cross_entropy_gradient_at_zero_is_sigmoid_minus_label():
    x = tf.constant([0.0, 0.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([0.0, 1.0]), logits=x)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [0.5, -0.5])


# -- conv / pool geometry ----------------------------------------------------------------------


@pytest.mark.parametrize("size,k,stride,same,valid", [
    (7, 3, 1, 7, 5), (7, 3, 2, 4, 3), (5, 2, 2, 3, 2), (6, 3, 2, 3, 2), (1, 1, 2, 1, 1)])
def test_same_and_valid_output_sizes(size, k, stride, same, valid):
    x = tf.zeros([2, size, size, 3])
    f = tf.zeros([k, k, 3, 4])
    assert nn.conv2d(x, f, stride, "SAME").shape == [2, same, same, 4]
    assert nn.conv2d(x, f, stride, "VALID").shape == [2, valid, valid, 4]
    assert nn.max_pool2d(x, k, stride, "SAME").shape == [2, same, same, 3]
    assert nn.avg_pool2d(x, k, stride, "VALID").shape == [2, valid, valid, 3]


def test_same_padding_puts_the_extra_pad_after():
    # 4 wide, k=2, stride 2 needs no pad; 5 wide needs one, after: the last window is [4, pad]
    x = tf.reshape(tf.range(5.0), [1, 1, 5, 1])
    out = nn.max_pool2d(x, [1, 2], [1, 2], "SAME")
    np.testing.assert_array_equal(np.asarray(out).ravel(), [1, 3, 4])


def test_same_avg_pool_divides_by_the_valid_count():
    x = tf.ones([1, 3, 3, 1])
    out = nn.avg_pool2d(x, 3, 1, "SAME")
    np.testing.assert_allclose(np.asarray(out), np.ones([1, 3, 3, 1]))


def test_max_pool_gradient_goes_to_the_first_max_on_ties():
    x = tf.ones([1, 2, 2, 1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = nn.max_pool2d(x, 2, 2, "VALID")
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)).ravel(), [1, 0, 0, 0])


def test_conv2d_valid_with_too_large_filter_is_an_invalid_argument():
    with pytest.raises(tf.InvalidArgumentError, match="Computed output size would be negative"):
        nn.conv2d(tf.zeros([1, 2, 2, 1]), tf.zeros([3, 3, 1, 1]), 1, "VALID")


def test_conv2d_channel_mismatch_is_an_invalid_argument():
    with pytest.raises(tf.InvalidArgumentError, match="input depth must be evenly divisible"):
        nn.conv2d(tf.zeros([1, 4, 4, 3]), tf.zeros([3, 3, 2, 1]), 1, "SAME")


def test_conv2d_rejects_strides_in_batch_dimension():
    with pytest.raises(tf.InvalidArgumentError, match="batch and depth"):
        nn.conv2d(tf.zeros([1, 4, 4, 1]), tf.zeros([1, 1, 1, 1]), [2, 1, 1, 1], "SAME")


def test_conv2d_transpose_inverts_conv2d_shapes():
    x = tf.zeros([2, 4, 4, 8])
    f = tf.ones([3, 3, 3, 8])
    y = nn.conv2d_transpose(x, f, [2, 7, 7, 3], 2, "SAME")
    assert y.shape == [2, 7, 7, 3]


# -- labels, bias_add errors -------------------------------------------------------------------


def test_sparse_label_out_of_range_is_an_invalid_argument():
    with pytest.raises(tf.InvalidArgumentError) as err:
        nn.sparse_softmax_cross_entropy_with_logits(tf.constant([1, 7]), tf.zeros([2, 4]))
    assert "Received a label value of 7 which is outside the valid range of [0, 4)." in str(
        err.value)


def test_sparse_negative_label_is_an_invalid_argument():
    with pytest.raises(tf.InvalidArgumentError, match="label value of -1"):
        nn.sparse_softmax_cross_entropy_with_logits(tf.constant([-1]), tf.zeros([1, 3]))


def test_sparse_rank_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="Rank mismatch"):
        nn.sparse_softmax_cross_entropy_with_logits(tf.constant([[1]]), tf.zeros([1, 3]))


def test_bias_add_checks_bias_shape():
    with pytest.raises(tf.InvalidArgumentError, match="Must provide as many biases"):
        nn.bias_add(tf.zeros([2, 4]), tf.zeros([3]))
    with pytest.raises(tf.InvalidArgumentError, match="Biases must be 1D"):
        nn.bias_add(tf.zeros([2, 4]), tf.zeros([1, 4]))


# -- dropout -----------------------------------------------------------------------------------


def test_dropout_scales_kept_values_and_drops_about_rate():
    x = tf.ones([10000])
    y = np.asarray(nn.dropout(x, 0.3, seed=3))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.03


def test_dropout_rate_zero_returns_the_input():
    x = tf.constant([1.0, 2.0])
    assert nn.dropout(x, 0.0) is x


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rate_outside_zero_one_is_a_value_error(rate):
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        nn.dropout(tf.ones([3]), rate)


def test_dropout_needs_floats():
    with pytest.raises(ValueError, match="floating point"):
        nn.dropout(tf.constant([1, 2]), 0.5)


def test_dropout_noise_shape_drops_whole_rows():
    y = np.asarray(nn.dropout(tf.ones([50, 4]), 0.5, noise_shape=[50, 1], seed=5))
    assert all(len(set(row)) == 1 for row in y)


def test_dropout_gradient_is_the_mask_times_the_scale():
    x = tf.ones([100])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = nn.dropout(x, 0.5, seed=11)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), np.asarray(y))


# -- second order through the fused VJPs -------------------------------------------------------


def _hessian_vector(loss_fn, x, v):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            loss = loss_fn(x)
        g = inner.gradient(loss, x)
        gv = tf.reduce_sum(g * v)
    return np.asarray(outer.gradient(gv, x))


def _numeric_hessian_vector(loss_fn, x, v, eps=1e-5):
    def grad(a):
        t = tf.constant(a)
        with tf.GradientTape() as tape:
            tape.watch(t)
            loss = loss_fn(t)
        return np.asarray(tape.gradient(loss, t))
    xa, va = np.asarray(x), np.asarray(v)
    # Hv = d/dx <grad, v>, symmetric Hessian: (grad(x + eps v) - grad(x - eps v)) / 2eps
    return (grad(xa + eps * va) - grad(xa - eps * va)) / (2 * eps)


@pytest.mark.parametrize("loss_fn", [
    lambda x: tf.reduce_sum(nn.sparse_softmax_cross_entropy_with_logits(
        tf.constant([0, 2]), x)),
    lambda x: tf.reduce_sum(nn.softmax_cross_entropy_with_logits(
        tf.constant([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], tf.float64), x)),
    lambda x: tf.reduce_sum(nn.softmax(x) * tf.constant([[1.0, 2.0, 3.0]], tf.float64)),
    lambda x: tf.reduce_sum(tf.square(nn.conv2d(tf.reshape(x, [1, 2, 3, 1]),
                                                tf.reshape(x, [2, 3, 1, 1]), 1, "SAME"))),
    lambda x: tf.reduce_sum(tf.square(nn.avg_pool2d(tf.reshape(x, [1, 2, 3, 1]), 2, 1,
                                                    "SAME"))),
], ids=["sparse_xent", "xent", "softmax", "conv2d", "avg_pool"])
def test_gradients_of_gradients_match_finite_differences(loss_fn):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 3)))
    v = tf.constant(rng.normal(size=(2, 3)))
    np.testing.assert_allclose(_hessian_vector(loss_fn, x, v),
                               _numeric_hessian_vector(loss_fn, x, v), rtol=1e-5, atol=1e-7)


def test_moments_of_a_batch():
    mean, var = nn.moments(tf.constant([[1.0, 2.0], [3.0, 6.0]]), axes=[0])
    np.testing.assert_allclose(mean.numpy(), [2, 4])
    np.testing.assert_allclose(var.numpy(), [1, 4])
