"""Workload 5: 1000 epochs of linear-regression SGD inside one function call.

The seed courses' first model (y = Xw + b, mean squared error), trained by a loop that lives inside
the function: a `tf.while_loop` whose body takes gradients with a GradientTape and steps w and b.
A compiled loop runs all epochs without returning to Python. Peers write the same loop in their
own idiom (jax.lax.fori_loop + jax.grad, torch autograd in a Python loop, hand-derived gradients
in NumPy and Numba). No target in the issue: the row shows where we stand.
"""
import numpy as np

from .harness import backend_notes, compare, peer_candidates

NAME = "linreg"
LR = 0.1


def dataset(n_samples, n_features):
    r = np.random.default_rng(42)
    x = r.uniform(0, 1, (n_samples, n_features)).astype(np.float32)
    true_w = np.linspace(-2, 3, n_features, dtype=np.float32)[:, None]
    return x, (x @ true_w + 1.0).astype(np.float32)


def train(tf, x, y, epochs):
    """(w, b) after `epochs` SGD steps from zeros; the loop is a tf.while_loop."""
    def cond(i, w, b):
        return i < epochs

    def body(i, w, b):
        with tf.GradientTape() as tape:
            tape.watch([w, b])
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        return i + 1, w - LR * gw, b - LR * gb
    start = [tf.constant(0), tf.zeros([x.shape[1], 1]), tf.zeros([1])]
    _, w, b = tf.while_loop(cond, body, start)
    return w, b


def _numpy_train(x, y, epochs):
    w, b = np.zeros((x.shape[1], 1), np.float32), np.zeros(1, np.float32)
    scale = np.float32(2.0 / y.size)
    for _ in range(epochs):
        err = x @ w + b - y
        w = w - np.float32(LR) * scale * (x.T @ err)
        b = b - np.float32(LR) * scale * err.sum(axis=0)
    return w, b


def _tf(x, y, epochs):
    def build(tf):
        f = tf.function(lambda x, y: train(tf, x, y, epochs))
        tx, ty = tf.constant(x), tf.constant(y)
        return lambda: f(tx, ty)
    return build


def _jax(x, y, epochs):
    def build(jax):
        import jax.numpy as jnp

        def loss(wb, x, y):
            return jnp.mean(jnp.square(x @ wb[0] + wb[1] - y))

        def fit(x, y):
            def body(_, wb):
                g = jax.grad(loss)(wb, x, y)
                return wb[0] - LR * g[0], wb[1] - LR * g[1]
            start = (jnp.zeros((x.shape[1], 1), jnp.float32), jnp.zeros(1, jnp.float32))
            return jax.lax.fori_loop(0, epochs, body, start)
        f = jax.jit(fit)
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        return lambda: jax.block_until_ready(f(jx, jy))
    return build


def _torch(x, y, epochs):
    def build(torch):
        tx, ty = torch.tensor(x), torch.tensor(y)

        def fit():
            w = torch.zeros((x.shape[1], 1), requires_grad=True)
            b = torch.zeros(1, requires_grad=True)
            for _ in range(epochs):
                loss = torch.mean(torch.square(tx @ w + b - ty))
                gw, gb = torch.autograd.grad(loss, [w, b])
                with torch.no_grad():
                    w = (w - LR * gw).requires_grad_()
                    b = (b - LR * gb).requires_grad_()
            return w.detach(), b.detach()
        return fit
    return build


def _numba(x, y, epochs):
    def build(numba):
        f = numba.njit(_numpy_train)
        return lambda: f(x, y, epochs)
    return build


def run(settings, enabled, epochs=1000, n_samples=100, n_features=4):
    import autograph_jit as tf
    x_np, y_np = dataset(n_samples, n_features)
    x, y = tf.constant(x_np.copy()), tf.constant(y_np.copy())
    graph = tf.function(lambda x, y: train(tf, x, y, epochs))
    notes = []
    candidates = {"eager": lambda: train(tf, x, y, epochs), "graph": lambda: graph(x, y),
                  "numpy": lambda: _numpy_train(x_np, y_np, epochs)}
    builders = {"tf": _tf(x_np, y_np, epochs), "jax": _jax(x_np, y_np, epochs),
                "torch": _torch(x_np, y_np, epochs), "numba": _numba(x_np, y_np, epochs)}
    candidates.update(peer_candidates(builders, enabled, notes))
    row = compare(f"linreg SGD, {epochs} epochs in 1 call", f"{n_samples}×{n_features} f32",
                  candidates, settings, (), rtol=1e-3, atol=1e-4)
    row.notes += notes + backend_notes(graph, x, y)
    return [row]


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.linreg_sgd", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
