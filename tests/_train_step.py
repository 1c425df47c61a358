"""A Keras model's training step written by hand as one tf.function (tape, gradients, optimizer
update), as the TF2 guides write it: the reference `fit` must equal (tests/keras), and the module
the CPU backend cuts into parts (tests/codegen)."""
import autograph_jit as tf


def train_step(model, optimizer, loss_fn):
    """The compiled step `step(x, y) -> loss` that trains `model` with `optimizer` on
    `loss_fn`."""
    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return step
