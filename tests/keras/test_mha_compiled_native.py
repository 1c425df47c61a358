"""A MultiHeadAttention model's compiled `fit` runs every node natively: the output projection
reshapes a transposed [b, h, t, d] tensor, which the CPU backend copies C-contiguous with its
copy kernel (codegen/llvm/k_array.py) instead of running it on the interpreter. Compiled and
eager training agree."""
import warnings

import numpy as np

import autograph_jit as tf


def _mha_model():
    tf.keras.utils.set_random_seed(3)
    inp = tf.keras.Input((6, 8))
    h = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    h = tf.keras.layers.GlobalAveragePooling1D()(h)
    return tf.keras.Model(inp, tf.keras.layers.Dense(3)(h))


def test_mha_compiled_fit_has_no_interpreter_node_and_matches_eager_losses():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((48, 6, 8)).astype(np.float32)
    y = rng.integers(0, 3, 48)
    histories = []
    for run_eagerly in (False, True):
        tf.keras.backend.clear_session()
        model = _mha_model()
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      run_eagerly=run_eagerly)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an interpreter fallback warns
            h = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        histories.append((h.history["loss"], model.get_weights()))
        if not run_eagerly:
            loop = model._functions[("train_loop", 8)]
            reports = [cf.explain() for cf in loop.cached_concrete_functions()]
            assert reports and all("interpreter" not in r for r in reports)
            assert all("0 host callbacks" in r for r in reports)
    (loss_c, w_c), (loss_e, w_e) = histories
    np.testing.assert_allclose(loss_c, loss_e, rtol=1e-4)
    assert loss_c[-1] < loss_c[0]
    for k, (a, b) in enumerate(zip(w_c, w_e)):
        if k == 3:  # key/bias: its gradient is 0 (softmax ignores a shift shared by all keys);
            continue  # Adam turns the rounding noise of that 0 into +-lr steps either way
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5, err_msg=f"weight {k}")


def test_mha_layer_call_and_gradient_compile_without_a_fallback():
    layer = tf.keras.layers.MultiHeadAttention(num_heads=3, key_dim=5)
    q = tf.constant(np.random.default_rng(1).standard_normal((2, 4, 7)).astype(np.float32))
    layer(q, q)

    def step(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            out = layer(v, v)
            loss = tf.reduce_sum(out * out)
        return out, tape.gradient(loss, [v] + layer.trainable_weights)
    fn = tf.function(step, backend="cpu", strict=True)
    got_out, got_grads = fn(q)
    want_out, want_grads = step(q)
    np.testing.assert_allclose(got_out, want_out, rtol=1e-5, atol=1e-6)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    report = fn.get_concrete_function(q).explain()
    assert "interpreter" not in report and "0 host callbacks" in report
