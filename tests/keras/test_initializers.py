"""tf.keras.initializers and tf.*_initializer: values, statistics, seeding, fans, config round
trips and get()."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import initializers


def test_zeros_ones_constant_fill_the_shape():
    assert np.all(initializers.Zeros()((2, 3)).numpy() == 0)
    assert initializers.Ones()((4,), dtype="float64").dtype == tf.float64
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(initializers.Constant([1, 2, 3, 4])((2, 2)).numpy(),
                                  [[1, 2], [3, 4]])


def test_constant_with_a_wrong_sized_array_says_so():
    with pytest.raises(ValueError, match="does not fit"):
        initializers.Constant([1.0, 2.0])((3,))


def test_seeded_initializer_returns_the_same_values_every_call():
    a = initializers.GlorotUniform(seed=3)((5, 7)).numpy()
    b = initializers.GlorotUniform(seed=3)((5, 7)).numpy()
    c = initializers.GlorotUniform(seed=4)((5, 7)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_unseeded_initializers_follow_the_global_seed():
    tf.random.set_seed(11)
    a = [initializers.RandomNormal()((3,)).numpy() for _ in range(2)]
    tf.random.set_seed(11)
    b = [initializers.RandomNormal()((3,)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])


@pytest.mark.parametrize("cls, limit_of", [
    (initializers.GlorotUniform, lambda fi, fo: np.sqrt(6 / (fi + fo))),
    (initializers.HeUniform, lambda fi, fo: np.sqrt(6 / fi)),
    (initializers.LecunUniform, lambda fi, fo: np.sqrt(3 / fi)),
])
def test_uniform_variance_scaling_limits(cls, limit_of):
    w = cls(seed=0)((3, 3, 20, 30)).numpy()
    fan_in, fan_out = 9 * 20, 9 * 30
    limit = limit_of(fan_in, fan_out)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.95 * limit
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)


@pytest.mark.parametrize("cls, std_of", [
    (initializers.GlorotNormal, lambda fi, fo: np.sqrt(2 / (fi + fo))),
    (initializers.HeNormal, lambda fi, fo: np.sqrt(2 / fi)),
    (initializers.LecunNormal, lambda fi, fo: np.sqrt(1 / fi)),
])
def test_truncated_normal_variance_scaling_stddev(cls, std_of):
    w = cls(seed=1)((200, 300)).numpy()
    std = std_of(200, 300)
    assert w.std() == pytest.approx(std, rel=0.03)
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_random_uniform_and_normal_and_truncated_normal_statistics():
    u = initializers.RandomUniform(-1.0, 3.0, seed=2)((20000,)).numpy()
    assert u.min() >= -1 and u.max() < 3 and u.mean() == pytest.approx(1.0, abs=0.05)
    n = initializers.RandomNormal(mean=2.0, stddev=0.5, seed=2)((20000,)).numpy()
    assert n.mean() == pytest.approx(2.0, abs=0.02) and n.std() == pytest.approx(0.5, rel=0.03)
    t = initializers.TruncatedNormal(stddev=1.0, seed=2)((20000,)).numpy()
    assert np.abs(t).max() <= 2.0


def test_orthogonal_gives_orthonormal_rows_or_columns():
    w = initializers.Orthogonal(gain=2.0, seed=5)((6, 4)).numpy().astype(np.float64)
    np.testing.assert_allclose(w.T @ w, 4.0 * np.eye(4), atol=1e-5)
    w = initializers.Orthogonal(seed=5)((3, 8)).numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)
    with pytest.raises(ValueError, match="rank >= 2"):
        initializers.Orthogonal()((3,))


def test_identity_is_a_scaled_eye_for_2d_shapes():
    np.testing.assert_array_equal(initializers.Identity(3.0)((2, 3)).numpy(), 3 * np.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        initializers.Identity()((2, 2, 2))


def test_get_resolves_names_class_names_dicts_and_callables():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    fn = lambda shape, dtype=None: tf.ones(shape)
    assert initializers.get(fn) is fn
    assert initializers.get(None) is None
    cfg = initializers.serialize(initializers.RandomNormal(0.5, 2.0, seed=7))
    assert cfg["class_name"] == "RandomNormal"
    again = initializers.get(cfg)
    assert again.get_config() == {"mean": 0.5, "stddev": 2.0, "seed": 7}
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
        initializers.get("glorot")


def test_config_round_trip_for_every_class():
    for cls in [initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1),
                initializers.GlorotUniform(seed=2), initializers.Orthogonal(1.5),
                initializers.Constant(3.0), initializers.Identity(2.0),
                initializers.RandomUniform(0, 2)]:
        again = type(cls).from_config(cls.get_config())
        assert again.get_config() == cls.get_config()


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)


def test_tf_initializer_classes_as_in_tf():
    assert np.all(tf.zeros_initializer()((2, 2)).numpy() == 0)
    assert np.all(tf.ones_initializer()((3,), dtype=tf.float64).numpy() == 1)
    np.testing.assert_array_equal(tf.constant_initializer(4)((2,)).numpy(), [4.0, 4.0])
    a = tf.random_normal_initializer(stddev=1.0, seed=3)((100,)).numpy()
    b = tf.random_normal_initializer(stddev=1.0, seed=3)((100,)).numpy()
    np.testing.assert_array_equal(a, b)
    u = tf.random_uniform_initializer(0.0, 1.0, seed=1)((1000,)).numpy()
    assert u.min() >= 0 and u.max() < 1
    assert initializers.serialize(tf.zeros_initializer())["class_name"] == "Zeros"
