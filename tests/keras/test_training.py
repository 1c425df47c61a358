"""compile/fit/evaluate/predict and the *_on_batch methods: fit equals a hand-written
tf.function loop, History/metrics naming, data inputs (arrays, dicts, generators), validation,
sample/class weights, custom train_step, and Keras's errors."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import keras
from autograph_jit.keras import layers


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, 1)) + 0.5).astype(np.float32)
    return x, y


def _model(seed=0, d=4):
    rng = np.random.default_rng(seed)
    model = keras.Sequential([layers.Dense(3, activation="relu", input_shape=(d,)),
                              layers.Dense(1)])
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5
                       for w in model.get_weights()])
    return model


@pytest.mark.parametrize("run_eagerly", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_equals_hand_written_tf_function_loop(run_eagerly, optimizer):
    x, y = _data()
    model = _model()
    model.compile(optimizer=keras.optimizers.get(optimizer), loss="mse",
                  run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)

    ref = _model()
    opt = keras.optimizers.get(optimizer)
    loss_fn = keras.losses.MeanSquaredError()

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, ref(xb, training=True))
        grads = tape.gradient(loss, ref.trainable_variables)
        opt.apply_gradients(zip(grads, ref.trainable_variables))
        return loss

    expected = []
    for _ in range(3):
        total, count = 0.0, 0
        for start in range(0, len(x), 16):
            xb, yb = x[start:start + 16], y[start:start + 16]
            total += float(step(xb, yb)) * len(xb)
            count += len(xb)
        expected.append(total / count)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-6)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_history_metric_names_and_evaluate_order():
    x, y = _data()
    model = _model()
    model.compile("sgd", loss="mse", metrics=["mae", "mse"])
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x[:8], y[:8]))
    assert sorted(history.history) == ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"]
    assert history.epoch == [0, 1]
    result = model.evaluate(x, y, verbose=0)
    assert len(result) == 3 and np.isclose(result[0], result[2], rtol=1e-6)
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(as_dict) == ["loss", "mae", "mse"]
    assert model.metrics_names == ["loss", "compile_metrics"]


def test_accuracy_resolves_from_label_shapes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    labels = rng.integers(0, 3, size=32)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    probs = model.predict(x, verbose=0)
    assert np.isclose(logs["accuracy"], np.mean(probs.argmax(-1) == labels))
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    onehot = keras.utils.to_categorical(labels, 3)
    assert np.isclose(model.evaluate(x, onehot, verbose=0, return_dict=True)["accuracy"],
                      np.mean(probs.argmax(-1) == labels))


def test_predict_batches_and_concatenates_including_a_partial_batch():
    x, _ = _data(n=70)
    model = _model()
    out = model.predict(x, batch_size=32, verbose=0)
    assert out.shape == (70, 1)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), out[:5], rtol=1e-5, atol=1e-6)


def test_train_and_test_on_batch():
    x, y = _data()
    model = _model()
    model.compile(keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    before = model.test_on_batch(x, y)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert sorted(logs) == ["loss", "mae"] and np.isclose(logs["loss"], before[0], rtol=1e-6)
    assert model.test_on_batch(x, y)[0] < before[0]


def test_fit_accepts_generators_and_dict_inputs():
    x, y = _data()

    def gen():
        while True:
            for start in range(0, 40, 10):
                yield x[start:start + 10], y[start:start + 10]
    model = _model()
    model.compile("sgd", loss="mse")
    history = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    inp = keras.Input(shape=(4,), name="features")
    dict_model = keras.Model({"features": inp}, layers.Dense(1)(inp))
    dict_model.compile("sgd", loss="mse")
    dict_model.fit({"features": x}, y, epochs=1, verbose=0)


def test_validation_split_uses_the_last_samples():
    x, y = _data(n=50)
    model = _model()
    model.compile("sgd", loss="mse")
    history = model.fit(x, y, validation_split=0.2, epochs=1, shuffle=False, verbose=0)
    fresh = model.evaluate(x[40:], y[40:], verbose=0)
    assert np.isclose(history.history["val_loss"][0], fresh, rtol=1e-6)


def test_sample_weight_zero_ignores_samples_and_class_weight_scales_them():
    x, y = _data(n=32)
    model = _model()
    model.compile("sgd", loss="mse")
    weights = np.r_[np.ones(16), np.zeros(16)].astype(np.float32)
    half = model.evaluate(x, y, sample_weight=weights, batch_size=32, verbose=0)
    per_sample = ((model.predict(x, verbose=0) - y) ** 2)[:, 0]
    assert np.isclose(half, per_sample[:16].sum() / 32, rtol=1e-5)
    labels = np.r_[np.zeros(16), np.ones(16)].astype(np.float32)[:, None]
    clf = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    clf.compile(keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    hist = clf.fit(x, labels, class_weight={0: 0.0, 1: 2.0}, batch_size=32, epochs=1,
                   verbose=0, shuffle=False)
    probs = clf.predict(x, verbose=0)[:, 0]
    bce = -np.log(np.clip(probs[16:], 1e-7, 1))
    assert np.isclose(hist.history["loss"][0], 2.0 * bce.sum() / 32, rtol=1e-4)


def test_custom_train_step_is_used_by_fit():
    calls = []

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            calls.append(1)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    model = Custom()
    model.compile("sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert calls and sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_before_compile_and_unknown_names_raise_keras_errors():
    x, y = _data()
    model = _model()
    with pytest.raises(RuntimeError, match="You must call `compile\\(\\)` before"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="adamm"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="msee"):
        model.compile(optimizer="sgd", loss="msee")
        model.fit(x, y, verbose=0)


def test_progress_bar_is_plain_text_when_stdout_is_not_a_terminal(capsys):
    x, y = _data()
    model = _model()
    model.compile("sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 " + "━" * 20 + " ") and " - loss: " in lines[1]
    assert "\x1b" not in out and "\r" not in out and "\b" not in out
    model.fit(x, y, epochs=1, batch_size=16, verbose=2)
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("3/3 - ") and "/step - loss: " in line


def test_add_loss_from_a_layer_is_part_of_the_training_loss():
    class Penalty(layers.Layer):
        def call(self, x):
            self.add_loss(tf.reduce_sum(tf.abs(x)) * 0.0 + 1.0)
            return x

    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, layers.Dense(1, kernel_initializer="zeros")(Penalty()(inp)))
    model.compile("sgd", loss="mse")
    x, y = _data()
    plain = float(np.mean(y ** 2))
    assert np.isclose(model.evaluate(x, y, batch_size=40, verbose=0), plain + 1.0, rtol=1e-5)
