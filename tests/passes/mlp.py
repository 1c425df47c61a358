"""The seed-course MLP training step (784-100-10 dense layers, softmax cross-entropy,
GradientTape, Adam) used by the optimizer's "done when" tests."""
import numpy as np

import autograph_jit as tf


def make_mlp_step(backend="eager", optimizer_options=None, batch=8, seed=0,
                  sizes=(784, 100, 10)):
    """(step function, variables, optimizer, (x, y)) — a fresh model, optimizer and batch.
    Other `sizes` trace to the same graph structure (same nodes), only the shapes differ."""
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(seed)
    w1 = tf.Variable(rng.normal(0, 0.05, (n_in, n_hidden)).astype(np.float32),
                     name="dense/kernel")
    b1 = tf.Variable(np.zeros(n_hidden, np.float32), name="dense/bias")
    w2 = tf.Variable(rng.normal(0, 0.05, (n_hidden, n_out)).astype(np.float32),
                     name="dense_1/kernel")
    b2 = tf.Variable(np.zeros(n_out, np.float32), name="dense_1/bias")
    params = [w1, b1, w2, b2]
    opt = tf.keras.optimizers.Adam(1e-3)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(x, w1) + b1)
            logits = tf.matmul(h, w2) + b2
            loss = tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss

    step = tf.function(train_step, backend=backend, optimizer_options=optimizer_options)
    x = tf.constant(rng.normal(0, 1, (batch, n_in)).astype(np.float32))
    y = tf.one_hot(tf.constant(rng.integers(0, n_out, batch), dtype=tf.int32), n_out)
    return step, params, opt, (x, y)
