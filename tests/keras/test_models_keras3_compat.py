"""Models and the layer base class behave as Keras 3's (each case checked against Keras 3.x on
TF 2.21): symbolic shapes keep every known dim, functional configs round trip without JSON,
functional layer order is Keras's depth order, one-element output lists, activity regularizer
scaling, summary layout (nested models, shapes of subclassed models, "Connected to"), error
types and texts, and the Layer API (`path`, build configs, own-variable stores, auto config)."""
import re

import numpy as np
import pytest

import autograph_jit as tf

keras = tf.keras
layers = keras.layers


def _ones(*shape):
    return np.ones(shape, np.float32)


# -- 1. symbolic shapes ---------------------------------------------------------------------------
def test_symbolic_calls_keep_known_dims_next_to_unknown_ones():
    assert layers.UpSampling2D()(keras.Input((None, None, 4))).shape == (None, None, None, 4)
    assert layers.Reshape((-1, 2))(keras.Input((None, 4))).shape == (None, None, 2)
    td = layers.TimeDistributed(layers.Dense(2))(keras.Input((None, 3)))
    assert td.shape == (None, None, 2)


def test_unet_style_model_with_unknown_spatial_dims_builds_and_runs():
    inp = keras.Input((None, None, 4))
    down = layers.MaxPooling2D()(layers.Conv2D(3, 3, padding="same")(inp))
    up = layers.Conv2D(3, 3, padding="same")(layers.UpSampling2D()(down))
    model = keras.Model(inp, layers.Concatenate()([up, inp]))
    assert model.output_shape == (None, None, None, 7)
    assert model.predict(_ones(2, 8, 8, 4), verbose=0).shape == (2, 8, 8, 7)


# -- 2. config round trips and layers.serialize ---------------------------------------------------
def test_functional_from_config_rebuilds_without_a_json_round_trip():
    inp = keras.Input((4,))
    model = keras.Model(inp, layers.Dense(2)(layers.Dense(3)(inp)))
    clone = keras.Model.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Dense", "Dense"]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(_ones(2, 4)).numpy(), model(_ones(2, 4)).numpy(), rtol=1e-6)


def test_layers_serialize_and_deserialize_round_trip_a_layer():
    config = layers.serialize(layers.Dense(3, name="d3"))
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    restored = layers.deserialize(config)
    assert isinstance(restored, layers.Dense) and restored.units == 3
    with pytest.raises(ValueError, match="not a `keras.layers.Layer`"):
        layers.deserialize(keras.optimizers.serialize(keras.optimizers.SGD()))


def test_sequential_config_has_build_input_shape_and_rebuilds_from_it():
    model = keras.Sequential([layers.Dense(2)])
    assert "build_input_shape" not in model.get_config()
    model.build((None, 3))
    config = model.get_config()
    assert config["build_input_shape"] == (None, 3)
    assert keras.Sequential.from_config(config).output_shape == (None, 2)


# -- 3. functional layer order --------------------------------------------------------------------
def test_functional_layers_and_weights_follow_keras_depth_order_with_shared_layers():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = layers.Dense(5, name="shared")
    h1 = shared(layers.Dense(5, name="pa")(a))
    h2 = shared(layers.Dense(5, name="pb")(b))
    model = keras.Model([a, b], layers.Concatenate(name="cat")([h1, h2]))
    assert [layer.name for layer in model.layers] == ["a", "b", "pa", "pb", "shared", "cat"]
    assert [tuple(w.shape) for w in model.weights] == [(4, 5), (5,), (3, 5), (5,), (5, 5), (5,)]
    assert [w.shape for w in model.get_weights()] == [(4, 5), (5,), (3, 5), (5,), (5, 5), (5,)]


def test_functional_input_layers_take_their_depth_in_the_layer_order():
    a, b = keras.Input((3,), name="deep"), keras.Input((2,), name="shallow")
    x = layers.Dense(2, name="d2")(layers.Dense(3, name="d1")(a))
    model = keras.Model([a, b], layers.Concatenate(name="cat")([x, b]))
    assert [layer.name for layer in model.layers] == ["deep", "d1", "d2", "shallow", "cat"]


# -- 4. one-element output lists ------------------------------------------------------------------
def test_model_with_one_element_output_list_returns_the_tensor_itself():
    inp = keras.Input((4,))
    model = keras.Model(inp, [layers.Dense(2)(inp)])
    assert isinstance(model(_ones(1, 4)), tf.Tensor)
    assert isinstance(model.predict(_ones(2, 4), verbose=0), np.ndarray)
    assert isinstance(model.outputs, list) and isinstance(model.output, list)
    assert isinstance(model(keras.Input((4,))), list)   # called symbolically: still a list
    model.compile("sgd", "mse")
    assert list(model.fit(_ones(4, 4), _ones(4, 2), verbose=0).history) == ["loss"]


# -- 5. activity regularizer ----------------------------------------------------------------------
def test_activity_regularizer_loss_is_divided_by_the_batch_size():
    dense = layers.Dense(2, kernel_initializer="ones", activity_regularizer="l1")
    dense(_ones(2, 3))
    assert [float(loss) for loss in dense.losses] == pytest.approx([0.06])


# -- 6. summary -----------------------------------------------------------------------------------
def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    assert len(lines) == 1   # Keras 3 passes the whole table to print_fn at once
    return lines[0]


def test_summary_expand_nested_lists_nested_layers_under_their_model():
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="i1"),
                              layers.Dense(2, name="i2")], name="inner")
    inp = keras.Input((3,), name="x")
    model = keras.Model(inp, layers.Dense(1, name="head")(inner(inp)), name="outer")
    text = _summary(model, expand_nested=True, line_length=100)
    assert "│    └ i1 (Dense)                            │ (None, 4)                       │" \
        "                16 │" in text
    assert "└ i2 (Dense)" in text and "└ i1" not in _summary(model, line_length=100)


def test_summary_of_a_called_subclassed_model_shows_output_shapes():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d1 = layers.Dense(4, name="s1")
            self.d2 = layers.Dense(2, name="s2")

        def call(self, x):
            return self.d2(self.d1(x))
    model = Sub()
    model(_ones(1, 3))
    text = _summary(model, line_length=90)
    assert "│ s1 (Dense)                            │ (1, 4)                       │" in text
    assert "│ s2 (Dense)" in text and "(1, 2)" in text and "?" not in text


def test_summary_connected_to_joins_inputs_with_commas_and_widths_match_keras():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = layers.Dense(5, name="shared")
    out = layers.Concatenate(name="cat")([shared(layers.Dense(5, name="pa")(a)),
                                          shared(layers.Dense(5, name="pb")(b))])
    text = _summary(keras.Model([a, b], out, name="two"), line_length=110)
    assert "│ shared (Dense)                 │ (None, 5)                 │               30 │ " \
        "pa[0][0], pb[0][0]         │" in text
    assert "shared[0][0], shared[1][0]" in text
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="dd"), layers.Dense(2)])
    assert "│ dd (Dense)                        │ (None, 4)                │            16 │" in \
        _summary(seq, line_length=80)   # (Keras 3's column widths for line_length=80)


# -- 7. errors ------------------------------------------------------------------------------------
def test_non_tensor_positional_argument_raises_keras_value_error():
    with pytest.raises(ValueError, match="Only input tensors may be passed as positional "
                                         "arguments.*abc"):
        layers.Dense(2)("abc")


def test_merging_tensors_of_different_batch_sizes_raises():
    with pytest.raises(ValueError, match="Cannot merge tensors with different batch sizes"):
        layers.Add()([_ones(2, 3), _ones(1, 3)])
    with pytest.raises(ValueError, match="Cannot merge tensors with different batch sizes"):
        layers.Multiply()([keras.Input((3,), batch_size=2), keras.Input((3,), batch_size=1)])


# -- 8. Layer API ---------------------------------------------------------------------------------
def test_layer_path_is_none_until_built_then_includes_the_enclosing_model():
    dense = layers.Dense(2, name="alone")
    assert dense.path is None
    dense.build((None, 3))
    assert dense.path == "alone"
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="q")], name="seq")
    assert seq.path == "seq" and seq.layers[0].path == "seq/q"

    class Sub(keras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d1 = layers.Dense(4, name="s1")

        def call(self, x):
            return self.d1(x)
    sub = Sub()
    sub(_ones(1, 3))
    assert sub.d1.path == "sub/s1"


def test_build_config_round_trip_builds_an_equivalent_layer():
    dense = layers.Dense(2)
    assert dense.get_build_config() is None
    dense.build((None, 3))
    assert dense.get_build_config() == {"input_shape": (None, 3)}
    other = layers.Dense(2)
    other.build_from_config(dense.get_build_config())
    assert other.built and tuple(other.kernel.shape) == (3, 2)
    inp = keras.Input((3,))
    assert keras.Model(inp, layers.Dense(1)(inp)).get_build_config() == {"input_shape": None}


def test_save_and_load_own_variables_use_keras_numbered_store():
    dense = layers.Dense(2)
    dense.build((None, 3))
    store = {}
    dense.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and tuple(store["0"].shape) == (3, 2)
    other = layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables({k: np.full(v.shape, 2.0, np.float32) for k, v in store.items()})
    assert other.get_weights()[0].sum() == 12.0
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        other.load_own_variables({"0": store["0"]})


def test_add_variable_and_supports_masking_follow_keras():
    class Scale(layers.Layer):
        def build(self, shape):
            self.w = self.add_variable((shape[-1],), "ones")

        def call(self, x):
            return x * self.w
    np.testing.assert_array_equal(Scale()(_ones(1, 2)).numpy(), _ones(1, 2))
    assert layers.Layer().supports_masking is False
    assert layers.Masking().supports_masking is True


def test_subclassed_layer_config_captures_constructor_arguments_with_defaults():
    class WithKw(layers.Layer):
        def __init__(self, units=2, act="relu", **kw):
            super().__init__(**kw)
            self.units = units

    class WithKwargs(layers.Layer):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)

    config = WithKw(units=3).get_config()
    assert config["units"] == 3 and config["act"] == "relu" and "name" not in config
    assert WithKwargs(name="named").get_config()["name"] == "named"

    class Opaque(layers.Layer):
        def __init__(self, thing=None, **kwargs):
            super().__init__(**kwargs)
    with pytest.raises(NotImplementedError, match="non-serializable argument values"):
        Opaque(thing=object()).get_config()


# -- 9. operators on KerasTensors -----------------------------------------------------------------
def test_operator_layers_run_and_print_but_are_not_in_model_layers():
    inp = keras.Input((3,), name="i")
    model = keras.Model(inp, layers.Dense(2, name="d")(inp) + 1.0, name="m")
    assert [layer.name for layer in model.layers] == ["i", "d"]
    assert re.search(r"│ add(_\d+)? \(Add\) ", _summary(model))
    assert [e["class_name"] for e in model.get_config()["layers"]] == ["InputLayer", "Dense",
                                                                      "Add"]


def test_model_subclass_called_with_inputs_and_outputs_is_functional_and_runs_its_train_step():
    # the "customizing what happens in fit" guide: CustomModel(inputs, outputs)
    calls = []

    class CustomModel(keras.Model):
        def train_step(self, data):
            calls.append("train")
            x, y = data
            with tf.GradientTape() as tape:
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

        def test_step(self, data):
            calls.append("test")
            x, y = data
            return {"loss": self.compute_loss(y=y, y_pred=self(x, training=False))}

    inputs = keras.Input((3,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    assert isinstance(model, keras.models.Functional) and model.name.startswith("custom_model")
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    model.compile("sgd", "mse", run_eagerly=True)
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=4, verbose=0)
    assert calls == ["train"] * 4 + ["test"] * 2 and len(history.history["loss"]) == 2
    other = CustomModel(inputs=inputs, outputs=layers.Dense(2)(inputs))
    assert other(x).shape == (8, 2)
