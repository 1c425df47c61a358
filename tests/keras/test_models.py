"""Model structure: Sequential (list, add, input_shape, pop), functional (multi-input/output,
shared layers, nested models), subclassed models, summary(), get_config/from_config/to_json."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import keras
from autograph_jit.keras import layers


def _x(n=4, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def test_sequential_with_input_shape_is_built_at_once():
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert model.built
    assert [tuple(v.shape) for v in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.output_shape == (None, 2)


def test_sequential_add_and_pop_and_deferred_build():
    model = keras.Sequential()
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert not model.built and model.weights == []
    out = model(_x())
    assert out.shape == (4, 2) and model.built and len(model.weights) == 4
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and len(model.layers) == 1
    assert model(_x()).shape == (4, 4)


def test_sequential_call_matches_manual_layer_composition():
    d1, d2 = layers.Dense(4, activation="relu"), layers.Dense(2)
    model = keras.Sequential([keras.Input(shape=(3,)), d1, d2])
    x = _x()
    np.testing.assert_allclose(model(x).numpy(), d2(d1(x)).numpy(), rtol=1e-6)


def test_functional_multi_input_multi_output_and_dict_inputs():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    merged = layers.Concatenate()([a, b])
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, name="out2")(merged)
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    xa, xb = _x(5, 3), _x(5, 2, seed=1)
    y1, y2 = model([xa, xb])
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    assert model.output_names == ["out1", "out2"]
    dict_model = keras.Model(inputs={"a": a, "b": b}, outputs=out1)
    np.testing.assert_allclose(dict_model({"a": xa, "b": xb}).numpy(), y1.numpy(), rtol=1e-6)


def test_functional_shared_layer_uses_one_set_of_weights():
    shared = layers.Dense(2)
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    model = keras.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.weights) == 2
    x1, x2 = _x(), _x(seed=2)
    np.testing.assert_allclose(model([x1, x2]).numpy(),
                               (shared(x1) + shared(x2)).numpy(), rtol=1e-5)


def test_nested_model_is_a_layer_of_another_model():
    inner_in = keras.Input(shape=(3,))
    inner = keras.Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    outer_in = keras.Input(shape=(3,))
    outer = keras.Model(outer_in, layers.Dense(1)(inner(outer_in)))
    assert len(outer.weights) == 4 and outer.get_layer("inner") is inner
    x = _x()
    np.testing.assert_allclose(outer(x).numpy(), outer.layers[-1](inner(x)).numpy(), rtol=1e-6)


def test_subclassed_model_tracks_layers_in_assignment_order():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(4)
            self.second = layers.Dense(1)

        def call(self, x, training=None):
            return self.second(self.first(x))

    net = Net()
    assert net.weights == []
    net(_x())
    assert [tuple(v.shape) for v in net.trainable_weights] == [(3, 4), (4,), (4, 1), (1,)]
    assert [layer.name for layer in net.layers] == [net.first.name, net.second.name]


def test_functional_input_shape_mismatch_names_layer_and_shapes():
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(1)(inp), name="checked")
    with pytest.raises(ValueError, match="checked.*expected shape=\\(None, 3\\), found shape"):
        model(np.ones((2, 5), np.float32))


def test_summary_prints_keras3_table_with_param_counts(capsys):
    tf.keras.backend.clear_session()
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    model.summary(line_length=80)
    out = capsys.readouterr().out
    assert out.startswith('Model: "sequential"\n┏')
    assert "┃ Layer (type)" in out and "Output Shape" in out and "Param #" in out
    assert "│ dense (Dense)" in out and "(None, 4)" in out and "│            16 │" in out
    assert " Total params: 26 (104.00 B)" in out
    assert " Trainable params: 26 (104.00 B)" in out
    assert " Non-trainable params: 0 (0.00 B)" in out


def test_summary_of_unbuilt_model_shows_question_marks(capsys):
    model = keras.Sequential([layers.Dense(4)])
    model.summary(line_length=80)
    out = capsys.readouterr().out
    assert "?" in out and "0 (unbuilt)" in out


def test_config_and_json_round_trip_rebuild_the_same_architecture():
    inp = keras.Input(shape=(3,), name="x")
    hidden = layers.Dense(4, activation="relu", name="hidden")(inp)
    model = keras.Model(inp, layers.Dense(2, name="head")(hidden), name="net")
    clone = keras.models.model_from_json(model.to_json())
    assert clone.name == "net" and [layer.name for layer in clone.layers] == ["x", "hidden",
                                                                               "head"]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(_x()).numpy(), model(_x()).numpy(), rtol=1e-6)
    seq = keras.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    seq2 = keras.Sequential.from_config(seq.get_config())
    assert [tuple(v.shape) for v in seq2.weights] == [(2, 3), (3,), (3, 1), (1,)]


def test_training_flag_reaches_dropout_through_models():
    model = keras.Sequential([layers.Dropout(0.5, input_shape=(100,))])
    x = np.ones((2, 100), np.float32)
    np.testing.assert_array_equal(model(x).numpy(), x)
    dropped = model(x, training=True).numpy()
    assert (dropped == 0).any() and np.allclose(dropped[dropped != 0], 2.0)


def test_python_operators_on_keras_tensors_build_op_layers_that_serialize():
    inp = keras.Input(shape=(3,))
    dense = layers.Dense(2)
    scaled = dense(inp) * 2.0 + 1.0
    head = -scaled[:, 0:1] / 4.0
    model = keras.Model(inp, [scaled, head])
    assert len(model.layers) == 2   # Keras 3: ops are operations, not layers
    assert [op.name for op in model._operations][2:] == ["multiply", "add", "get_item",
                                                         "negative", "true_divide"]
    x = _x()
    a, b = model(x)
    np.testing.assert_allclose(a.numpy(), dense(x).numpy() * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), -a.numpy()[:, :1] / 4, rtol=1e-6)
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    for u, v in zip(clone(x), model(x)):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6)


def test_tf_ops_on_keras_tensors_explain_the_fix():
    inp = keras.Input(shape=(3,))
    with pytest.raises(ValueError, match="cannot be used as input to a TensorFlow function"):
        tf.nn.relu(inp)
