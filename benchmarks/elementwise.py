"""Workload 1: the elementwise chain `tanh(x*0.5+1)*sigmoid(x)+exp(-x*x)` on 1M float32.

Seven ops that a fusing compiler runs as one loop, where eager mode makes seven passes over memory
and allocates six temporaries. Targets (issue 6): ≤ 1.0× jax.jit and ≤ 0.15× NumPy.
"""
import numpy as np

from .harness import Target, backend_notes, compare, peer_candidates

NAME = "elementwise"
TARGETS = (Target("jax", 1.0), Target("numpy", 0.15))


def chain(tf, x):
    return tf.tanh(x * 0.5 + 1) * tf.sigmoid(x) + tf.exp(-x * x)


def _numpy(x):
    return np.tanh(x * np.float32(0.5) + np.float32(1)) / (np.float32(1) + np.exp(-x)) \
        + np.exp(-x * x)


def _tf(x):
    def build(tf):
        f = tf.function(lambda t: tf.tanh(t * 0.5 + 1) * tf.sigmoid(t) + tf.exp(-t * t))
        t = tf.constant(x)
        return lambda: f(t)
    return build


def _jax(x):
    def build(jax):
        import jax.numpy as jnp
        f = jax.jit(lambda t: jnp.tanh(t * 0.5 + 1) * jax.nn.sigmoid(t) + jnp.exp(-t * t))
        t = jnp.asarray(x)
        return lambda: f(t).block_until_ready()
    return build


def _torch(x):
    def build(torch):
        t = torch.from_numpy(x.copy())
        return lambda: torch.tanh(t * 0.5 + 1) * torch.sigmoid(t) + torch.exp(-t * t)
    return build


def _numba(x):
    def build(numba):
        import math

        @numba.njit(fastmath=True)
        def f(t):
            out = np.empty_like(t)
            for i in range(t.size):
                v = t[i]
                out[i] = math.tanh(v * np.float32(0.5) + np.float32(1)) / (
                    np.float32(1) + math.exp(-v)) + math.exp(-v * v)
            return out
        return lambda: f(x)
    return build


def run(settings, enabled, n=1_000_000):
    import autograph_jit as tf
    x_np = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    x = tf.constant(x_np.copy())
    graph = tf.function(lambda t: chain(tf, t))
    notes = []
    candidates = {"eager": lambda: chain(tf, x), "graph": lambda: graph(x),
                  "numpy": lambda: _numpy(x_np)}
    candidates.update(peer_candidates(
        {"tf": _tf(x_np), "jax": _jax(x_np), "torch": _torch(x_np), "numba": _numba(x_np)},
        enabled, notes))
    row = compare("tanh·sigmoid·exp chain", f"{n:,} f32", candidates, settings, TARGETS,
                  rtol=1e-5, atol=1e-6)
    row.notes += notes + backend_notes(graph, x)
    return [row]


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.elementwise", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
