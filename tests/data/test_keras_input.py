"""A tf.data.Dataset is Keras fit/evaluate/predict input (plain Python iteration of batches)."""
import numpy as np
import pytest

import autograph_jit as tf


def test_fit_evaluate_predict_take_a_dataset_and_match_arrays():
    if not hasattr(tf.keras, "Sequential"):
        pytest.skip("tf.keras models are not in this tree")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)

    def model():
        m = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_initializer="ones")])
        m.compile(optimizer="sgd", loss="mse")
        return m
    a, b = model(), model()
    ha = a.fit(ds, epochs=2, verbose=0).history["loss"]
    hb = b.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    np.testing.assert_allclose(a.evaluate(ds, verbose=0), b.evaluate(x, y, verbose=0),
                               rtol=1e-5)
    assert a.predict(ds.map(lambda f, t: f), verbose=0).shape == (64, 1)
