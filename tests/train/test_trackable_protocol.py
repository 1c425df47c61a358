"""The protocol Keras layers and models use: `_trackable_children` names (Keras-2 style
`layer_with_weights-N` keys) and lazily built weights restored when they are created."""
import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

import autograph_jit as tf


class Dense(tf.Module):
    """Builds its kernel on first call, as a Keras layer does."""

    def __init__(self, units):
        super().__init__()
        self.units = units

    def __call__(self, x):
        if not hasattr(self, "kernel"):
            rng = np.random.default_rng(self.units)
            self.kernel = tf.Variable(rng.standard_normal((x.shape[-1], self.units)).astype("float32"))
            self.bias = tf.Variable(np.zeros(self.units, np.float32))
        return tf.matmul(x, self.kernel) + self.bias


class Sequential(tf.Module):
    def __init__(self, layers):
        super().__init__()
        self._layers = list(layers)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        # Keras 2's names: the layers with weights first, then every layer by position
        weighted = [layer for layer in self._layers if isinstance(layer, Dense)]
        out = {f"layer_with_weights-{n}": layer for n, layer in enumerate(weighted)}
        out.update({f"layer-{i}": layer for i, layer in enumerate(self._layers)})
        return out

    def __call__(self, x):
        for layer in self._layers:
            x = layer(x)
        return x


def test_layer_with_weights_keys_and_lazy_build_restore(tmp_path):
    x = tf.constant(np.ones((2, 3), np.float32))
    model = Sequential([Dense(4), Dense(2)])
    expected = model(x).numpy()
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    keys = dict(tf.train.list_variables(path))
    assert keys["model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == [3, 4]
    assert keys["model/layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE"] == [2]

    fresh = Sequential([Dense(4), Dense(2)])             # no weights yet
    status = tf.train.Checkpoint(model=fresh).restore(path)
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Unresolved"):
        status.assert_consumed()
    out = fresh(x)                                       # build: the weights land now
    assert out.numpy().tobytes() == expected.tobytes()
    status.assert_consumed()


def test_lazy_build_with_the_wrong_shape_is_refused_naming_the_path(tmp_path):
    model = Sequential([Dense(4)])
    model(tf.constant(np.ones((1, 3), np.float32)))
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    fresh = Sequential([Dense(4)])
    tf.train.Checkpoint(model=fresh).restore(path).expect_partial()
    with pytest.raises(ValueError, match=r"model/layer_with_weights-0/kernel.*\[3, 4\].*\[5, 4\]"):
        fresh(tf.constant(np.ones((1, 5), np.float32)))
