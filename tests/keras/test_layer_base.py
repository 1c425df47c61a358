"""The Layer base class contract: auto-build on first call, add_weight, weight tracking order,
training/mask propagation, naming, config round trip, input_spec errors, add_loss."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers


def _ones(shape, dtype=None):
    return np.ones(shape, np.float32)


class Linear(layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=_ones,
                                 name="w")
        self.b = self.add_weight(shape=(self.units,), initializer=_ones, name="b",
                                 trainable=False)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_first_call_builds_with_the_input_shape_and_computes():
    layer = Linear(units=2)
    assert not layer.built
    out = layer(np.ones((3, 4), np.float32))
    assert layer.built
    np.testing.assert_allclose(out.numpy(), np.full((3, 2), 5.0))
    assert [tuple(v.shape) for v in layer.weights] == [(4, 2), (2,)]
    assert [tuple(v.shape) for v in layer.trainable_weights] == [(4, 2)]
    assert [tuple(v.shape) for v in layer.non_trainable_weights] == [(2,)]


def test_build_marks_built_even_without_super_build():
    layer = Linear()
    layer.build((None, 5))
    assert layer.built and tuple(layer.w.shape) == (5, 3)


def test_auto_names_count_per_class_and_reset_with_clear_session():
    tf.keras.backend.clear_session()
    a, b, c = Linear(), Linear(), Linear(name="mine")
    assert (a.name, b.name, c.name) == ("linear", "linear_1", "mine")
    tf.keras.backend.clear_session()
    assert Linear().name == "linear"


def test_sublayer_weights_follow_assignment_order():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.second = Linear(units=2)
            self.first = Linear(units=1)

        def call(self, x):
            return self.first(self.second(x))

    block = Block()
    block(np.ones((1, 3), np.float32))
    assert [tuple(v.shape) for v in block.weights] == [(3, 2), (2,), (2, 1), (1,)]
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 4


def test_training_flag_propagates_from_outer_call_and_defaults_from_signature():
    seen = []

    class Probe(layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, x):
            return self.probe(x)

    outer = Outer()
    outer(np.ones((1, 1), np.float32), training=True)
    outer(np.ones((1, 1), np.float32))
    Probe()(np.ones((1, 1), np.float32), training=False)
    assert seen == [True, None, False]


def test_config_round_trip_makes_an_equivalent_layer():
    layer = Linear(units=7, name="lin", trainable=False)
    config = layer.get_config()
    assert config["units"] == 7 and config["trainable"] is False and config["name"] == "lin"
    clone = Linear.from_config(config)
    assert clone.units == 7 and clone.name == "lin" and clone.trainable is False


def test_input_spec_mismatch_names_the_layer_and_shapes():
    layer = Linear(name="checked")
    layer.input_spec = layers.InputSpec(ndim=2)
    with pytest.raises(ValueError, match='layer "checked".*expected ndim=2, found ndim=3'):
        layer(np.ones((1, 2, 3), np.float32))


def test_unknown_constructor_keyword_is_an_error():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Linear"):
        Linear(foo=1)


def test_add_loss_collects_losses_of_the_last_call_only():
    class Penalized(layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(x))
            return x

    layer = Penalized()
    layer(np.ones((2, 2), np.float32))
    layer(np.ones((1, 2), np.float32))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 2.0


def test_keras_tensor_call_gives_output_shape_with_unknown_batch():
    x = tf.keras.Input(shape=(4,), name="data")
    y = Linear(units=5)(x)
    assert x.shape == (None, 4) and y.shape == (None, 5) and y.dtype == "float32"


def test_layer_inside_tf_function_builds_on_first_trace():
    layer = Linear(units=2)

    @tf.function
    def f(x):
        return layer(x)

    out = f(tf.ones((2, 3)))
    np.testing.assert_allclose(out.numpy(), np.full((2, 2), 4.0))
    np.testing.assert_allclose(f(tf.ones((2, 3))).numpy(), layer(tf.ones((2, 3))).numpy())


def test_masks_propagate_through_masking_layers():
    class MakeMask(layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return tf.not_equal(x, 0.0)

    class Passthrough(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x, mask=None):
            self.got = mask
            return x

    p = Passthrough()
    out = p(MakeMask()(tf.constant([[1.0, 0.0]])))
    np.testing.assert_array_equal(p.got.numpy(), [[True, False]])
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(out).numpy(), [[True, False]])
