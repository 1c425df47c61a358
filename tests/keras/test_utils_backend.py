"""tf.keras.utils (to_categorical, set_random_seed, Progbar, unpack_x_y_sample_weight) and
tf.keras.backend (floatx, image_data_format, get/set_value, clear_session)."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import keras


def test_to_categorical_one_hot_encodes_like_keras():
    out = keras.utils.to_categorical([0, 2, 1], num_classes=3)
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    assert out.dtype == np.float64   # (Keras 3: NumPy in, float64 out)
    assert keras.utils.to_categorical(np.array([[1], [0]])).shape == (2, 2)
    assert tf.keras.utils.to_categorical(np.zeros((2, 3), int), 4).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="num_classes"):
        keras.utils.to_categorical([5], num_classes=3)


def test_set_random_seed_makes_initializers_and_numpy_repeat():
    def draw():
        keras.utils.set_random_seed(123)
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        return layer.kernel.numpy(), np.random.rand()
    (k1, r1), (k2, r2) = draw(), draw()
    np.testing.assert_array_equal(k1, k2)
    assert r1 == r2
    with pytest.raises(ValueError, match="integer"):
        keras.utils.set_random_seed(1.5)


def test_backend_settings_and_values():
    assert keras.backend.floatx() == "float32"
    assert keras.backend.image_data_format() == "channels_last"
    keras.backend.set_floatx("float64")
    try:
        layer = keras.layers.Dense(2)
        layer.build((None, 3))
        assert layer.kernel.dtype == tf.float64 and layer.dtype == "float64"
    finally:
        keras.backend.set_floatx("float32")
    with pytest.raises(ValueError, match="Unknown `floatx` value"):
        keras.backend.set_floatx("int7")
    v = tf.Variable([1.0, 2.0])
    keras.backend.set_value(v, [3.0, 4.0])
    np.testing.assert_array_equal(keras.backend.get_value(v), [3.0, 4.0])
    with pytest.raises(ValueError, match="data_format"):
        keras.backend.set_image_data_format("channels_middle")


def test_progbar_prints_keras_format_without_terminal_codes(capsys):
    bar = keras.utils.Progbar(4)
    for i in range(1, 5):
        bar.update(i, [("loss", 0.5)])
    out = capsys.readouterr().out
    assert out.startswith("4/4 " + "━" * 20 + " ") and " - loss: 0.5000" in out
    assert out.count("\n") == 1 and "\x1b" not in out


def test_unpack_x_y_sample_weight():
    assert keras.utils.unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3)
    assert keras.utils.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert keras.utils.unpack_x_y_sample_weight(1) == (1, None, None)


def test_fit_reads_a_reiterable_dataset_each_epoch():
    class Batches:
        """A tf.data.Dataset stand-in: iterable again for every epoch."""

        def __init__(self, x, y):
            self.x, self.y = x, y

        def __iter__(self):
            for start in range(0, len(self.x), 8):
                yield tf.constant(self.x[start:start + 8]), tf.constant(self.y[start:start + 8])

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile(keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(Batches(x, y), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][2] < history.history["loss"][0]
    assert model.evaluate(Batches(x, y), verbose=0) < history.history["loss"][0]
    assert model.predict(Batches(x, y), verbose=0).shape == (32, 1)


def test_progbar_redraws_in_place_on_a_terminal(monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    bar = keras.utils.Progbar(3, interval=0.0)
    for i in range(1, 4):
        bar.update(i, [("loss", 0.25)])
    out = screen.getvalue()
    assert out.count("\r") == 3 and out.endswith("\n") and out.count("\n") == 1
    assert "\x1b[1m3/3\x1b[0m " in out and "\x1b[32m" + "━" * 20 in out
    assert " - loss: 0.2500" in out
