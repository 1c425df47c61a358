"""The seed CNN's training step, for the GPU device check (gpu_check.py) and the GPU tests:
Conv2D(16, 3, relu) → MaxPool 2×2 → Conv2D(32, 3, relu) → MaxPool 2×2 → Flatten → Dense(10),
sparse softmax cross-entropy from logits, Adam (Keras' defaults, epsilon 1e-7), written with
GradientTape; the same code runs on this library and on TensorFlow, and the jax / torch builders
compute the same step from the same weights.
"""
import numpy as np

from . import mlp_step
from .mlp_step import EPS, LR

FILTERS, CLASSES = (16, 32), 10


def features(image):
    """Length of the flattened features for an (H, W, C) image (VALID 3×3 convs, 2×2 pools)."""
    h, w, _ = image
    for _ in FILTERS:
        h, w = (h - 2) // 2, (w - 2) // 2
    return h * w * FILTERS[-1]


def initial_params(image):
    """[conv1 kernel, bias, conv2 kernel, bias, dense kernel, bias] as float32 arrays."""
    r = np.random.default_rng(5)
    c = image[2]
    shapes = [(3, 3, c, FILTERS[0]), (FILTERS[0],), (3, 3, FILTERS[0], FILTERS[1]),
              (FILTERS[1],), (features(image), CLASSES), (CLASSES,)]
    return [(r.normal(0, 0.2, s) if len(s) > 1 else r.normal(0, 0.05, s)).astype(np.float32)
            for s in shapes]


def batch(image, n, seed=6):
    """(images [n, H, W, C] float32 in [0, 1), labels [n] int32)."""
    r = np.random.default_rng(seed)
    return (r.random((n,) + tuple(image), dtype=np.float32),
            r.integers(0, CLASSES, n).astype(np.int32))


def make_step(tf, image):
    """A fresh train_step over fresh variables; returns (step, variables, optimizer)."""
    params = [tf.Variable(p) for p in initial_params(image)]
    k1, b1, k2, b2, w, b = params
    opt = tf.keras.optimizers.Adam(learning_rate=LR, epsilon=EPS)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.nn.conv2d(x, k1, 1, "VALID") + b1)
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.relu(tf.nn.conv2d(h, k2, 1, "VALID") + b2)
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            logits = tf.reshape(h, [-1, w.shape[0]]) @ w + b
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss
    return train_step, params, opt


def jax_step(image, data):
    """Builder for gpu_check's jax.jit column: (call, sync)."""
    def build(jax):
        import jax.numpy as jnp
        dims = ("NHWC", "HWIO", "NHWC")

        def pool(h):
            return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                         "VALID")

        def loss_fn(params, x, y):
            k1, b1, k2, b2, w, b = params
            h = pool(jax.nn.relu(jax.lax.conv_general_dilated(x, k1, (1, 1), "VALID",
                                                              dimension_numbers=dims) + b1))
            h = pool(jax.nn.relu(jax.lax.conv_general_dilated(h, k2, (1, 1), "VALID",
                                                              dimension_numbers=dims) + b2))
            logp = jax.nn.log_softmax(h.reshape(h.shape[0], -1) @ w + b)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        return mlp_step.jax_adam_call(jax, loss_fn, initial_params(image), data), (lambda: None)
    return build


def torch_step(image, data, device):
    """Builder for gpu_check's torch column (NCHW, as torch's conv2d wants): (call, None)."""
    def build(torch):
        fn = torch.nn.functional
        k1, b1, k2, b2, w, b = [torch.tensor(p, device=device) for p in initial_params(image)]
        params = [t.requires_grad_() for t in (k1.permute(3, 2, 0, 1).contiguous(), b1,
                                                k2.permute(3, 2, 0, 1).contiguous(), b2, w, b)]
        k1, b1, k2, b2, w, b = params
        opt = torch.optim.Adam(params, lr=LR, eps=EPS)
        x = torch.tensor(data[0], device=device).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor(data[1], device=device).long()

        def call():
            opt.zero_grad(set_to_none=True)
            h = fn.max_pool2d(torch.relu(fn.conv2d(x, k1, b1)), 2)
            h = fn.max_pool2d(torch.relu(fn.conv2d(h, k2, b2)), 2)
            # flatten in NHWC order, as the dense kernel's rows are laid out
            logits = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1) @ w + b
            loss = fn.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            return loss.detach()
        return call
    return build
