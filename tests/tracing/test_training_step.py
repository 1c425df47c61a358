"""A seed-style training step (forward, GradientTape, Keras optimizer update) decorated with
tf.function is one graph: on backend="eager" its losses and weights equal eager execution step by
step, and it traces once over many steps."""
import numpy as np
import pytest

import autograph_jit as tf


def _model_and_data(seed=3):
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(32, 8)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 3, size=32).astype(np.int32))
    w1 = tf.Variable(rng.normal(scale=0.3, size=(8, 16)).astype(np.float32))
    b1 = tf.Variable(np.zeros(16, np.float32))
    w2 = tf.Variable(rng.normal(scale=0.3, size=(16, 3)).astype(np.float32))
    b2 = tf.Variable(np.zeros(3, np.float32))
    return x, labels, [w1, b1, w2, b2]


def _step_fn(params, optimizer):
    def step(x, labels):
        w1, b1, w2, b2 = params
        with tf.GradientTape() as tape:
            hidden = tf.nn.relu(x @ w1 + b1)
            logits = hidden @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        grads = tape.gradient(loss, params)
        optimizer.apply_gradients(zip(grads, params))
        return loss
    return step


@pytest.mark.parametrize("make_optimizer", [
    lambda: tf.keras.optimizers.Adam(0.01),
    lambda: tf.keras.optimizers.SGD(0.1, momentum=0.9),
    lambda: tf.keras.optimizers.RMSprop(0.01),
], ids=["adam", "sgd_momentum", "rmsprop"])
def test_training_step_in_function_matches_eager_and_traces_once(make_optimizer):
    x, labels, eager_params = _model_and_data()
    _, _, graph_params = _model_and_data()
    eager_step = _step_fn(eager_params, make_optimizer())
    optimizer = make_optimizer()
    optimizer.build(graph_params)  # slots exist before tracing: the step traces exactly once
    graph_step = tf.function(_step_fn(graph_params, optimizer), backend="eager")
    for _ in range(15):
        a = eager_step(x, labels)
        b = graph_step(x, labels)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=2e-5, atol=1e-6)
    for p, q in zip(eager_params, graph_params):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-4, atol=1e-5)
    assert graph_step.experimental_get_tracing_count() == 1


def test_training_step_graph_holds_forward_backward_and_update():
    x, labels, params = _model_and_data()
    step = tf.function(_step_fn(params, tf.keras.optimizers.Adam(0.01)), backend="eager")
    text = str(step.get_concrete_function(x, labels).graph)
    for op in ("matmul", "relu", "sparse_softmax_cross_entropy_with_logits", "assign_variable"):
        assert op in text, op


def test_optimizer_slots_created_in_the_first_call_trace_twice_then_never_again():
    # TF semantics: a first trace that creates variables (here Adam's slots) is followed at once
    # by a second trace that must not create any.
    x, labels, params = _model_and_data()
    step = tf.function(_step_fn(params, tf.keras.optimizers.Adam(0.01)), backend="eager")
    for _ in range(5):
        step(x, labels)
    assert step.experimental_get_tracing_count() == 2
    assert step.retrace_reasons() == []
