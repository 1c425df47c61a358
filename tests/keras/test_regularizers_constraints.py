"""tf.keras.regularizers and tf.keras.constraints: penalties and projections against NumPy,
regularizer gradients, config round trips and get()."""
import numpy as np
import pytest

from autograph_jit.keras import constraints, regularizers

from .zoo_checks import check_compiled, check_grad

W = np.array([[3.0, -0.5, 0.1], [-4.0, 1.0, 0.2]])


def test_l1_l2_l1l2_penalties_match_numpy():
    assert regularizers.L1(0.1)(W).numpy() == pytest.approx(0.1 * np.abs(W).sum(), rel=1e-6)
    assert regularizers.L2(0.2)(W).numpy() == pytest.approx(0.2 * (W ** 2).sum(), rel=1e-6)
    assert regularizers.L1L2(0.1, 0.2)(W).numpy() == pytest.approx(
        0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum(), rel=1e-6)
    assert regularizers.L1L2()(W).numpy() == 0.0


def test_regularizer_gradients_match_finite_differences():
    check_grad(lambda w: regularizers.L1L2(0.1, 0.2)(w), W)


def test_regularizer_compiled_matches_eager():
    check_compiled(lambda w: regularizers.L2(0.3)(w), W.astype(np.float32))


def test_regularizer_get_and_config():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert regularizers.get("l2").l2 == 0.01
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    reg = regularizers.get(regularizers.serialize(regularizers.L1L2(l1=0.5, l2=0.25)))
    assert reg.get_config() == {"l1": 0.5, "l2": 0.25}
    with pytest.raises(ValueError, match="Unknown regularizer"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1.0)


def _col_norms(w):
    return np.sqrt((w ** 2).sum(axis=0, keepdims=True))


def test_max_norm_rescales_only_columns_above_the_limit():
    got = constraints.MaxNorm(2.0)(W.astype(np.float32)).numpy()
    n = _col_norms(W)
    want = W * np.clip(n, 0, 2.0) / (n + 1e-7)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_non_neg_zeroes_negative_weights():
    np.testing.assert_array_equal(constraints.NonNeg()(W.astype(np.float32)).numpy(),
                                  np.maximum(W.astype(np.float32), 0))


def test_unit_norm_and_min_max_norm_match_numpy():
    n = _col_norms(W)
    np.testing.assert_allclose(constraints.UnitNorm()(W.astype(np.float32)).numpy(),
                               W / (n + 1e-7), rtol=1e-5)
    got = constraints.MinMaxNorm(1.5, 3.0, rate=0.5, axis=0)(W.astype(np.float32)).numpy()
    desired = 0.5 * np.clip(n, 1.5, 3.0) + 0.5 * n
    np.testing.assert_allclose(got, W * desired / (n + 1e-7), rtol=1e-5)


def test_constraints_compiled_match_eager():
    check_compiled(lambda w: constraints.MaxNorm(1.0, axis=1)(w), W.astype(np.float32))


def test_constraint_get_and_config():
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    c = constraints.get(constraints.serialize(constraints.MaxNorm(3, axis=[0, 1])))
    assert c.get_config() == {"max_value": 3, "axis": [0, 1]}
    with pytest.raises(ValueError, match="Unknown constraint"):
        constraints.get("positive")
