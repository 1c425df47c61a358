"""compile/fit/evaluate/predict and the *_on_batch methods: fit equals a hand-written
tf.function loop, History/metrics naming, data inputs (arrays, dicts, generators), validation,
sample/class weights, custom train_step, and Keras's errors."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import keras
from autograph_jit.keras import layers

from .._train_step import train_step


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
    step = train_step(ref, keras.optimizers.get(optimizer), keras.losses.MeanSquaredError())

    expected = []
    for _ in range(3):
        # the epoch loss is Keras's float32 running mean weighted by batch size
        total, count = np.float32(0), np.float32(0)
        for start in range(0, len(x), 16):
            xb, yb = x[start:start + 16], y[start:start + 16]
            total += step(xb, yb).numpy() * np.float32(len(xb))
            count += np.float32(len(xb))
        expected.append(float(total / count))
    if run_eagerly:  # the eager running mean may round its last bit differently
        np.testing.assert_allclose(history.history["loss"], expected, rtol=2e-7)
    else:
        np.testing.assert_array_equal(history.history["loss"], expected)
    for a, b in zip(model.get_weights(), ref.get_weights()):  # bit for bit
        np.testing.assert_array_equal(a, b)


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


def test_train_on_batch_reports_each_batch_alone_as_keras_does():
    # (TF Keras 2.21 on this model and data: 15/32 right, then 20/32, then 15/32 after a fit;
    # the metric is the batch's forward pass before the update, not a running mean)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 2, 64).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    def step(xb, yb):
        right = int(np.sum(np.argmax(model.predict_on_batch(xb), 1) == yb))
        logs = model.train_on_batch(xb, yb, return_dict=True)
        assert np.isclose(logs["accuracy"], right / len(yb)), (logs, right)
    step(x[:32], y[:32])
    step(x[32:], y[32:])
    model.fit(x, y, epochs=1, verbose=0)
    step(x[:32], y[:32])


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


class _OneDense(keras.Model):
    """A one-layer subclassed model for the custom train_step / test_step tests."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        return self.dense(x)


def test_custom_train_step_is_used_by_fit():
    calls = []

    class Custom(_OneDense):
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
    keras.utils.set_random_seed(1)
    model = Custom()
    model.compile(keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=10, batch_size=8, shuffle=False, verbose=0)
    assert calls and sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_custom_train_step_returning_other_values_puts_them_in_the_history():
    # (Keras 3: the step's own logs when their names differ from the model's metrics; a step
    # returning exactly {"loss": ...} gets the compiled loss tracker's result, as there)
    class Custom(_OneDense):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((self(x, training=True) - y) ** 2)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss, "twice": loss * 2.0}

    x, y = _data()
    for eager in (False, True):
        keras.utils.set_random_seed(1)
        model = Custom()
        model.compile(keras.optimizers.SGD(0.05), run_eagerly=eager)
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
        assert sorted(history) == ["loss", "twice"]
        assert history["loss"][0] > 0
        np.testing.assert_allclose(history["twice"], 2 * np.array(history["loss"]), rtol=1e-6)


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


def _bn_model():
    rng = np.random.default_rng(5)
    model = keras.Sequential([layers.Dense(6, input_shape=(4,), use_bias=False),
                              layers.BatchNormalization(),
                              layers.Dense(1)])
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5 if w.ndim == 2
                       else w for w in model.get_weights()])
    model.compile(keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("shuffle", [False, True])
def test_many_steps_per_call_equal_step_by_step(shuffle):
    x, y = _data(n=70)
    looped, stepped = _bn_model(), _bn_model()

    class EveryBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass   # a batch hook forces one step per call

    np.random.seed(7)
    h1 = looped.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0)
    np.random.seed(7)
    h2 = stepped.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0,
                     callbacks=[EveryBatch()])
    assert ("train_loop", 16) in looped._functions
    assert ("train_loop", 16) not in stepped._functions
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h1.history["mae"], h2.history["mae"], rtol=1e-5)
    for a, b in zip(looped.get_weights(), stepped.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_gives_the_same_training():
    x, y = _data(n=64)
    a, b = _bn_model(), _bn_model()
    b.compile(keras.optimizers.Adam(0.01), loss="mse", steps_per_execution=3)
    a.compile(keras.optimizers.Adam(0.01), loss="mse")
    ha = a.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    hb = b.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)


def test_repeated_fit_calls_reuse_the_compiled_steps():
    x, y = _data(n=64)
    model = _bn_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    loop = model._functions[("train_loop", 16)]
    traces = loop.experimental_get_tracing_count()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model._functions[("train_loop", 16)] is loop
    assert loop.experimental_get_tracing_count() == traces


def test_fit_on_new_sample_counts_reuses_one_loop_and_one_partial_batch_trace():
    # 65..71 samples: one row bucket for the looped steps, partial batches of 1..7 rows
    x, y = _data(n=71)
    model, stepped = _bn_model(), _bn_model()

    class EveryBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass   # a batch hook forces one step per call

    for n in (65, 68, 71):
        h1 = model.fit(x[:n], y[:n], batch_size=16, epochs=1, shuffle=False, verbose=0)
        h2 = stepped.fit(x[:n], y[:n], batch_size=16, epochs=1, shuffle=False, verbose=0,
                         callbacks=[EveryBatch()])
        np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    assert model._functions[("train_loop", 16)].experimental_get_tracing_count() == 1
    assert model.train_function.experimental_get_tracing_count() == 1
    for a, b in zip(model.get_weights(), stepped.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_repeated_fits_see_new_and_mutated_data_through_reused_buffers():
    x, y = _data(n=70)
    x2, y2 = _data(n=70, seed=3)
    looped, stepped = _bn_model(), _bn_model()

    class EveryBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass   # a batch hook forces one step per call

    losses = []
    for model, callbacks in ((looped, []), (stepped, [EveryBatch()])):
        xs, ys = x.copy(), y.copy()
        h = [model.fit(xs, ys, batch_size=16, shuffle=False, verbose=0, callbacks=callbacks)]
        h.append(model.fit(x2, y2, batch_size=16, shuffle=False, verbose=0, callbacks=callbacks))
        xs[:] = x2[::-1]   # the caller's arrays changed in place between fits
        ys[:] = y2[::-1]
        h.append(model.fit(xs, ys, batch_size=16, shuffle=False, verbose=0, callbacks=callbacks))
        losses.append([r.history["loss"][0] for r in h])
    assert len(set(losses[0])) == 3
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_predict_does_not_retrace_for_new_batch_sizes():
    model = _model()
    for n in (5, 7, 33, 64, 100):
        model.predict(np.ones((n, 4), np.float32), verbose=0)
    assert model.predict_function.experimental_get_tracing_count() <= 2


def test_initial_epoch_validation_freq_and_tensor_inputs():
    x, y = _data()
    model = _model()
    model.compile("sgd", loss="mse")
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    history = model.fit(tf.constant(x), tf.constant(y), epochs=5, initial_epoch=2, verbose=0,
                        validation_data=(x, y), validation_freq=2, callbacks=[cb])
    assert seen == [2, 3, 4] and history.epoch == [2, 3, 4]
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 1


def test_loss_weights_weight_each_output_loss():
    inp = keras.Input(shape=(4,))
    a = layers.Dense(1, name="a", kernel_initializer="ones")(inp)
    b = layers.Dense(1, name="b", kernel_initializer="zeros")(inp)
    model = keras.Model(inp, [a, b])
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[0.5, 2.0])
    x, y = _data()
    logs = model.evaluate(x, [y, y], batch_size=40, verbose=0, return_dict=True)
    assert sorted(logs) == ["a_loss", "b_loss", "loss"]
    pred_a = x.sum(axis=1, keepdims=True)
    assert np.isclose(logs["a_loss"], np.mean((pred_a - y) ** 2), rtol=1e-5)
    assert np.isclose(logs["b_loss"], np.mean(np.abs(y)), rtol=1e-5)
    assert np.isclose(logs["loss"], 0.5 * logs["a_loss"] + 2.0 * logs["b_loss"], rtol=1e-5)


def test_custom_test_step_is_used_by_evaluate():
    class Constant(_OneDense):
        def test_step(self, data):
            return {"answer": tf.constant(42.0)}

    model = Constant()
    model.compile("sgd", loss="mse")
    x, y = _data()
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"answer": 42.0}


def test_fit_evaluate_predict_read_a_tf_data_dataset():
    x, y = _data(n=48)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model = _model()
    model.compile(keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(ds, epochs=3, verbose=0, validation_data=ds)
    assert len(history.history["val_loss"]) == 3
    assert history.history["loss"][2] < history.history["loss"][0]
    assert np.isclose(model.evaluate(ds, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(ds, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_predict_pads_short_batches_to_few_shapes_and_stays_native():
    import warnings
    model = _model()
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # an interpreter fallback warns
        for n in range(1, 40):
            x = rng.normal(size=(n, 4)).astype(np.float32)
            out = model.predict(x, batch_size=16, verbose=0)
            assert out.shape == (n, 1)
            np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert model.predict_function.experimental_get_tracing_count() <= 2
