"""Saving: `.weights.h5` in Keras 3's layout (group paths and dataset order), mismatch errors
that leave the model untouched, and `.keras` files with custom objects and `compile=False`."""
import os
import zipfile

import numpy as np
import pytest

from autograph_jit import keras
from autograph_jit.keras import layers

h5py = pytest.importorskip("h5py")


def _seq():
    return keras.Sequential([layers.Dense(4, input_shape=(3,), activation="relu"),
                             layers.BatchNormalization(), layers.Dense(2)])


def test_weights_h5_uses_keras3_group_layout(tmp_path):
    model = _seq()
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        names = []
        f.visit(names.append)
        assert "layers/dense/vars/0" in names and "layers/dense/vars/1" in names
        assert "layers/batch_normalization/vars/3" in names
        assert "layers/dense_1/vars/1" in names
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.weights[0].numpy())


def test_load_weights_restores_values_into_a_fresh_model(tmp_path):
    model = _seq()
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    other = _seq()
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_into_another_architecture_fails_and_changes_nothing(tmp_path):
    model = _seq()
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    wrong = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.BatchNormalization(),
                              layers.Dense(5)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match="layers/dense_1.*\\(4, 5\\).*\\(4, 2\\)"):
        wrong.load_weights(path)
    for a, b in zip(before, wrong.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(str(tmp_path / "m.h5"))


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_keras_file_round_trip_with_custom_objects_and_compile_state(tmp_path):
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(1)(Scale(3.0)(inp)))
    model.compile(keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = keras.models.load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert loaded.compiled and isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0),
                               rtol=1e-6)
    bare = keras.models.load_model(path, custom_objects={"Scale": Scale}, compile=False)
    assert not bare.compiled
    with pytest.raises(TypeError, match="Scale"):
        keras.models.load_model(path)


def test_save_requires_keras_extension(tmp_path):
    model = _seq()
    with pytest.raises(ValueError, match="`.keras`"):
        model.save(str(tmp_path / "model.h5"))
    assert not os.path.exists(tmp_path / "model.h5")


class Net(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.head = layers.Dense(1)

    def call(self, x):
        return self.head(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_round_trips_through_a_keras_file(tmp_path):
    model = Net(5)
    x = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    model.compile("adam", loss="mse")
    model.fit(x, x[:, :1], verbose=0)
    path = str(tmp_path / "net.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"Net": Net})
    assert isinstance(loaded, Net) and loaded.units == 5
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    with h5py.File(str(tmp_path / "w.weights.h5"), "w"):
        pass
    model.save_weights(str(tmp_path / "w.weights.h5"))
    with h5py.File(str(tmp_path / "w.weights.h5"), "r") as f:
        names = []
        f.visit(names.append)
    assert "head/vars/0" in names and "hidden/vars/1" in names
