"""tf.keras layers where a user review found us diverging from Keras 3 (3.15, TF 2.21): files and
JSON that real Keras 3 writes (committed fixtures from fixtures/make_compat_fixtures.py) load
with Keras's predictions; initializer fan axes; batch renormalization; RNN input rank; windows
larger than their input; LayerNormalization's deprecated rms_scaling; Lambda's bytecode
serialization and safe mode; activity_regularizer in configs; required pooling sizes; aliases
and RMSNormalization. Expected values were checked against Keras 3 by hand."""
import json
import marshal
import codecs
import os
import sys
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import initializers, layers
from autograph_jit.keras.saving import function_code

pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
FILES = ("dense", "conv_bn", "renorm", "rnn", "bidir_mask", "lambda")


def _fixture(name):
    data = np.load(os.path.join(FIXTURES, f"compat_{name}.npz"))
    return data["x0"], data["y"], str(data["json"]), str(data["python"])


def _skip_other_python(python):
    if python != "%d.%d" % sys.version_info[:2]:
        pytest.skip(f"a lambda's bytecode loads only under the Python that saved it ({python})")


# --- 1. Keras 3 files and JSON load ----------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_load_model_of_keras3_file_reproduces_keras_predictions(name):
    x, expected, _, python = _fixture(name)
    if name == "lambda":
        _skip_other_python(python)
    model = tf.keras.models.load_model(os.path.join(FIXTURES, f"compat_{name}.keras"),
                                       safe_mode=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in FILES if n != "lambda"])
def test_model_from_keras3_json_with_loaded_weights_reproduces_keras_predictions(name):
    x, expected, config, _ = _fixture(name)
    model = tf.keras.models.model_from_json(config)
    model.load_weights(os.path.join(FIXTURES, f"compat_{name}.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_keras3_json_holds_the_keys_that_used_to_break_loading():
    config = _fixture("bidir_mask")[2] + _fixture("renorm")[2]
    for key in ('"input_axes"', '"renorm_clipping"', '"NotEqual"', '"keras.src.ops.numpy"'):
        assert key in config


def test_variance_scaling_input_and_output_axes_select_the_fans():
    shape = (3, 4, 50)
    init = initializers.GlorotUniform(seed=3, input_axes=[0, 1], output_axes=[2])
    limit = np.sqrt(6.0 / (3 * 4 + 50))
    w = np.abs(init(shape).numpy())
    assert w.max() <= limit + 1e-7 and w.max() > 0.9 * limit
    he = initializers.HeNormal(seed=3, input_axes=[2], output_axes=[0])
    draws = he((40, 5, 60)).numpy()
    np.testing.assert_allclose(draws.std(), np.sqrt(2.0 / 60), rtol=0.05)


def test_variance_scaling_uses_the_default_fans_unless_both_axes_are_given():
    only_in = initializers.VarianceScaling(mode="fan_in", distribution="uniform", seed=1,
                                           input_axes=[0])
    default = initializers.VarianceScaling(mode="fan_in", distribution="uniform", seed=1)
    np.testing.assert_array_equal(only_in((6, 4)).numpy(), default((6, 4)).numpy())


def test_initializer_configs_carry_keras3_fan_axes_and_round_trip():
    assert initializers.GlorotUniform().get_config() == {
        "seed": None, "input_axes": None, "output_axes": None}
    config = initializers.VarianceScaling(2.0, input_axes=[0], output_axes=[1]).get_config()
    assert config == {"seed": None, "scale": 2.0, "mode": "fan_in",
                      "distribution": "truncated_normal", "input_axes": [0],
                      "output_axes": [1]}
    again = initializers.deserialize(initializers.serialize(
        initializers.LecunNormal(seed=2, input_axes=[1], output_axes=[0])))
    assert (again.seed, again.input_axes, again.output_axes) == (2, [1], [0])


# --- 1. batch renormalization ----------------------------------------------------------------


def _renorm_reference(xs, gamma, beta, momentum, renorm_momentum, clip, eps=1e-3):
    """Keras 3's BatchNormalization(renorm=True) training steps in NumPy: the outputs of each
    step and the final weights."""
    n = len(gamma)
    mm, ms, rm, rs = np.zeros(n), np.ones(n), np.zeros(n), np.ones(n)
    outs = []
    for x in xs:
        mean, var = x.mean(0), x.var(0)
        std = np.sqrt(var + eps)
        r = std / np.maximum(rs, np.sqrt(eps))
        d = (mean - rm) / np.maximum(rs, np.sqrt(eps))
        r = np.clip(r, clip.get("rmin", -np.inf), clip.get("rmax", np.inf))
        d = np.clip(d, -clip.get("dmax", np.inf), clip.get("dmax", np.inf))
        outs.append((x - mean) / std * (r * gamma) + (d * gamma + beta))
        rm = rm * renorm_momentum + mean * (1 - renorm_momentum)
        rs = rs * renorm_momentum + std * (1 - renorm_momentum)
        mm = mm * momentum + mean * (1 - momentum)
        ms = ms * momentum + std * (1 - momentum)
    return outs, {"moving_mean": mm, "moving_variance": np.maximum(ms * ms - eps, 0),
                  "moving_stddev": ms, "renorm_mean": rm, "renorm_stddev": rs}


def _renorm_layer():
    layer = layers.BatchNormalization(renorm=True, momentum=0.7, renorm_momentum=0.5,
                                      renorm_clipping={"rmax": 1.5, "rmin": 0.8, "dmax": 0.3})
    layer.build((None, 3))
    layer.gamma.assign(np.array([1.5, 0.5, 2.0], np.float32))
    layer.beta.assign(np.array([0.1, -0.2, 0.3], np.float32))
    return layer


def _renorm_inputs():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(6, 3)).astype(np.float32) * 2 + 1,
            rng.normal(size=(6, 3)).astype(np.float32))


def test_batch_renormalization_training_matches_keras3_algorithm():
    layer = _renorm_layer()
    xs = _renorm_inputs()
    got = [layer(x, training=True).numpy() for x in xs]
    want, weights = _renorm_reference([x.astype(np.float64) for x in xs],
                                      np.array([1.5, 0.5, 2.0]), np.array([0.1, -0.2, 0.3]),
                                      0.7, 0.5, {"rmax": 1.5, "rmin": 0.8, "dmax": 0.3})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    assert [v.name.split("/")[-1].split(":")[0] for v in layer.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
        "renorm_stddev"]
    for v in layer.weights[2:]:
        key = v.name.split("/")[-1].split(":")[0]
        np.testing.assert_allclose(v.numpy(), weights[key], rtol=1e-4, atol=1e-6)


def test_batch_renormalization_reproduces_keras3_moving_statistics():
    # Keras 3.15.1 after the two training steps of the test above
    layer = _renorm_layer()
    for x in _renorm_inputs():
        layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), [0.079387, 0.133463, 0.119209],
                               atol=2e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), [1.539022, 0.77673, 0.762848],
                               atol=2e-6)
    np.testing.assert_allclose(layer.renorm_stddev.numpy(), [1.271028, 0.79572, 0.762366],
                               atol=2e-6)


def test_batch_renormalization_inference_uses_the_moving_statistics():
    layer = _renorm_layer()
    x = _renorm_inputs()[0]
    plain = layers.BatchNormalization()
    plain.build((None, 3))
    for a, b in zip(layer.weights[:4], plain.weights):
        b.assign(a.numpy())
    np.testing.assert_allclose(layer(x, training=False).numpy(),
                               plain(x, training=False).numpy(), rtol=1e-6)


def test_batch_renormalization_under_tf_function_with_a_tensor_training_flag():
    layer = _renorm_layer()
    x = _renorm_inputs()[0]
    step = tf.function(lambda v, flag: layer(v, training=flag))
    eager_layer = _renorm_layer()
    np.testing.assert_allclose(step(x, tf.constant(True)).numpy(),
                               eager_layer(x, training=True).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.renorm_mean.numpy(), eager_layer.renorm_mean.numpy(),
                               rtol=1e-6)


def test_batch_renormalization_config_round_trips():
    layer = layers.BatchNormalization(renorm=True, renorm_clipping={"dmax": 2.0},
                                      renorm_momentum=0.9)
    config = layer.get_config()
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == \
        (True, {"dmax": 2.0}, 0.9)
    assert layers.BatchNormalization.from_config(config).renorm_clipping == {"dmax": 2.0}
    assert layers.BatchNormalization(renorm=True).get_config()["renorm_clipping"] == {}
    assert layers.BatchNormalization().get_config()["renorm_clipping"] is None


@pytest.mark.parametrize("clipping, message", [
    ({"rmaxx": 1.0}, "invalid keys for `renorm_clipping`"),
    ({"rmax": 1.0, "rmin": 2.0}, "rmax should be greater than rmin"),
    ({"dmax": -1.0}, "dmax should be non-negative")])
def test_batch_renormalization_rejects_bad_clipping_like_keras3(clipping, message):
    with pytest.raises(ValueError, match=message):
        layers.BatchNormalization(renorm=True, renorm_clipping=clipping)


# --- 2. recurrent layers take rank-3 inputs only ----------------------------------------------


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_recurrent_layers_reject_rank_4_inputs_eagerly_and_symbolically(cls):
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        cls(2)(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        cls(2)(tf.keras.Input((3, 4, 5)))
    assert cls(2)(np.ones((2, 3, 4), np.float32)).shape == (2, 2)


# --- 3. windows larger than their input -------------------------------------------------------

CONV_CASES = [
    (lambda: layers.Conv2D(2, 5), (3, 3, 1),
     "`inputs shape=({b}, 3, 3, 1)`, `kernel shape=(5, 5, 1, 2)`, `dilation_rate=[1 1]`, "
     "`strides=(1, 1)`, `padding=valid`."),
    (lambda: layers.Conv1D(2, 5), (3, 1),
     "`inputs shape=({b}, 3, 1)`, `kernel shape=(5, 1, 2)`, `dilation_rate=[1]`, "
     "`strides=(1,)`, `padding=valid`."),
    (lambda: layers.Conv2D(2, 5, dilation_rate=2), (8, 8, 1),
     "`kernel shape=(5, 5, 1, 2)`, `dilation_rate=[2 2]`"),
    (lambda: layers.DepthwiseConv2D(5), (3, 3, 1), "`kernel shape=(5, 5, 1, 1)`"),
    (lambda: layers.SeparableConv1D(2, 5), (3, 1), "`kernel shape=(5, 1, 2)`"),
    (lambda: layers.MaxPooling2D(4), (3, 3, 1),
     "Received: `inputs.shape=[{b} 3 3 1]`, `pool_size=[4 4]`, `strides=(4, 4)`, "
     "`padding=valid`."),
    (lambda: layers.MaxPooling1D(4), (3, 1), "`inputs.shape=[{b} 3 1]`, `pool_size=[4]`"),
    (lambda: layers.AveragePooling2D(2, strides=3), (1, 4, 1), "`pool_size=[2 2]`"),
    (lambda: layers.AveragePooling1D(4), (3, 1), "`strides=(4,)`"),
]


@pytest.mark.parametrize("make, shape, detail", CONV_CASES)
def test_window_larger_than_the_input_raises_keras3_error_symbolically(make, shape, detail):
    with pytest.raises(ValueError) as info:
        make()(tf.keras.Input(shape))
    assert "Computed output size would be zero or negative." in str(info.value)
    assert detail.format(b="None") in str(info.value)


@pytest.mark.parametrize("make, shape, detail", CONV_CASES)
def test_window_larger_than_the_input_raises_keras3_error_eagerly(make, shape, detail):
    with pytest.raises(ValueError) as info:
        make()(np.ones((1,) + shape, np.float32))
    assert "Computed output size would be zero or negative." in str(info.value)
    assert detail.format(b="1") in str(info.value)


def test_windows_that_fit_or_pad_still_work():
    assert tuple(layers.Conv2D(2, 3)(tf.keras.Input((3, 3, 1))).shape) == (None, 1, 1, 2)
    assert layers.Conv2D(2, 5, padding="same")(tf.keras.Input((3, 3, 1))).shape[1] == 3
    assert layers.Conv1D(2, 5, padding="causal")(tf.keras.Input((3, 1))).shape[1] == 3
    assert layers.Conv2DTranspose(2, 5)(tf.keras.Input((3, 3, 1))).shape[1] == 7
    assert tuple(layers.Conv2D(2, 5)(tf.keras.Input((None, 8, 1))).shape) == (None, None, 4, 2)
    with pytest.raises(ValueError, match="zero or negative"):
        layers.Conv2D(2, 5)(tf.keras.Input((None, 3, 1)))


# --- 4. LayerNormalization(rms_scaling=True) and RMSNormalization ----------------------------


def test_layer_normalization_rms_scaling_divides_by_the_variance_like_keras3():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32) * 3 + 1
    with pytest.warns(UserWarning, match="rms_scaling=True`, which is deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True, epsilon=0.01)
    layer.build((None, 3, 4))
    gamma = np.array([1.0, 2.0, 3.0, 0.5], np.float32)
    layer.gamma.assign(gamma)
    want = x / np.sqrt(x.var(-1, keepdims=True) + 0.01) * gamma
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-5)
    # Keras 3.15.1's first values for this input
    np.testing.assert_allclose(layer(x).numpy().ravel()[:4], [0.8426, 2.8668, 2.4714, -0.60182],
                               atol=1e-4)
    assert [v.name.split("/")[-1].split(":")[0] for v in layer.weights] == ["gamma"]


def test_layer_normalization_without_rms_scaling_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LayerNormalization()


def test_rms_normalization_matches_numpy_and_keras3_config():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32) * 3 + 1
    layer = layers.RMSNormalization()
    got = layer(x).numpy()
    np.testing.assert_allclose(got, x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6),
                               rtol=1e-5)
    assert [v.name.split("/")[-1].split(":")[0] for v in layer.weights] == ["scale"]
    config = layer.get_config()
    assert (config["axis"], config["epsilon"]) == ([-1], 1e-6)
    several = layers.RMSNormalization(axis=[1, 2], epsilon=0.1)
    np.testing.assert_allclose(several(x).numpy(),
                               x / np.sqrt((x * x).mean((1, 2), keepdims=True) + 0.1),
                               rtol=1e-5)
    assert several.scale.shape.as_list() == [3, 4]
    clone = layers.RMSNormalization.from_config(config)
    assert clone(x).shape == x.shape


def test_rms_normalization_gradient_matches_finite_differences():
    from .zoo_checks import check_grad
    x = np.random.default_rng(2).normal(size=(2, 5))
    check_grad(lambda t: layers.RMSNormalization(dtype="float64")(t), x)


# --- 6. Lambda serialization ------------------------------------------------------------------


def _double_plus_one(t):
    return t * 2.0 + 1.0


def _lambda_model(fn):
    return tf.keras.Sequential([tf.keras.Input((3,)), layers.Lambda(fn), layers.Dense(2)])


def test_lambda_config_stores_the_python_lambda_as_keras3_bytecode():
    scale = 3.0
    config = layers.Lambda(lambda t, k=2.0: t * scale + k).get_config()
    fn = config["function"]
    assert fn["class_name"] == "__lambda__"
    assert set(fn["config"]) == {"code", "defaults", "closure"}
    code = marshal.loads(codecs.decode(fn["config"]["code"].encode("ascii"), "base64"))
    assert code.co_name == "<lambda>"
    assert fn["config"]["defaults"] == (2.0,) and fn["config"]["closure"] == (3.0,)
    assert config["arguments"] == {}
    json.dumps(config)


def test_lambda_from_config_refuses_python_lambdas_unless_safe_mode_is_off():
    config = layers.Lambda(lambda t: t + 1.0).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    layer = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(layer(tf.constant([1.0])).numpy(), [2.0])
    with function_code.SafeModeScope(False):
        assert layers.Lambda.from_config(config).function(1.0) == 2.0


def test_saved_lambda_model_loads_only_with_safe_mode_false(tmp_path):
    scale = 3.0
    model = _lambda_model(lambda t: t * scale - 1.0)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    path = str(tmp_path / "lam.keras")
    model.save(path)
    with pytest.raises(ValueError, match="Requested the deserialization of a `Lambda` layer"):
        tf.keras.models.load_model(path)
    loaded = tf.keras.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="safe_mode=False"):
        tf.keras.models.model_from_json(model.to_json())


def test_enable_unsafe_deserialization_lets_lambdas_load_everywhere():
    model = _lambda_model(lambda t: t - 1.0)
    try:
        function_code.enable_unsafe_deserialization()
        clone = tf.keras.models.model_from_json(model.to_json())
    finally:
        function_code._SAFE_MODE[0] = None
    assert clone.layers[0].function(3.0) == 2.0


def test_lambda_with_a_named_function_round_trips_without_custom_objects():
    model = _lambda_model(_double_plus_one)
    config = model.layers[0].get_config()["function"]
    assert (config["class_name"], config["config"]) == ("function", "_double_plus_one")
    clone = tf.keras.models.model_from_json(model.to_json())
    assert clone.layers[0].function is _double_plus_one


def test_lambda_output_shape_and_mask_functions_round_trip():
    layer = layers.Lambda(lambda t: t[:, :2], output_shape=lambda s: (s[0], 2),
                          mask=lambda inputs, mask: None, arguments={})
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_shape"]["class_name"] == "__lambda__"
    clone = layers.Lambda.from_config(config, safe_mode=False)
    assert clone.compute_output_shape((5, 4)) == (5, 2)
    fixed = layers.Lambda.from_config(layers.Lambda(lambda t: t, output_shape=(3,)).get_config(),
                                      safe_mode=False)
    assert fixed.compute_output_shape((None, 3)) == (None, 3)


def test_func_load_names_the_python_version_problem_for_foreign_bytecode():
    with pytest.raises(ValueError, match="Python version"):
        function_code.func_load(codecs.encode(b"\x00garbage", "base64").decode("ascii"))


# --- 7. activity_regularizer in configs -------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda r: layers.Conv2D(2, 3, activity_regularizer=r),
    lambda r: layers.Conv1DTranspose(2, 3, activity_regularizer=r),
    lambda r: layers.DepthwiseConv2D(3, activity_regularizer=r),
    lambda r: layers.SeparableConv2D(2, 3, activity_regularizer=r),
    lambda r: layers.LSTM(2, activity_regularizer=r),
    lambda r: layers.GRU(2, activity_regularizer=r),
    lambda r: layers.SimpleRNN(2, activity_regularizer=r),
    lambda r: layers.Embedding(5, 2, activity_regularizer=r)])
def test_activity_regularizer_is_in_the_config_and_round_trips(make):
    config = make(tf.keras.regularizers.L2(0.25)).get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    keys = list(config)
    # with the weights' options, after a weight's regularizer, as Keras 3 lists it
    assert keys[keys.index("activity_regularizer") - 1].endswith("_regularizer")
    clone = type(make(None)).from_config(config)
    assert clone.activity_regularizer.get_config() == {"l2": 0.25}
    assert make(None).get_config()["activity_regularizer"] is None


def test_dense_config_has_no_activity_regularizer_like_keras3():
    assert "activity_regularizer" not in layers.Dense(2).get_config()


# --- 8. pooling sizes and eager masks ---------------------------------------------------------


@pytest.mark.parametrize("cls", [layers.AveragePooling1D, layers.AveragePooling2D])
def test_average_pooling_requires_pool_size_like_keras3(cls):
    with pytest.raises(TypeError, match="pool_size"):
        cls()


def test_max_pooling_keeps_its_default_pool_size():
    assert layers.MaxPooling2D().pool_size == (2, 2)
    assert layers.MaxPooling1D().pool_size == (2,)


def test_eager_embedding_output_carries_its_mask():
    out = layers.Embedding(10, 3, mask_zero=True)(np.array([[0, 1, 2]]))
    np.testing.assert_array_equal(tf.keras.backend.get_keras_mask(out).numpy(),
                                  [[False, True, True]])


# --- 9. aliases -------------------------------------------------------------------------------


def test_keras3_convolution_aliases_name_the_same_classes():
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.SeparableConvolution2D is layers.SeparableConv2D
