"""Workload 6: float32 matmul of square matrices, 64 to 1024.

Small sizes show the per-call overhead, large ones the kernel: BLAS-bound, where the goal is to
keep up with NumPy's `@`. Target (issue 6): ≥ 90% of NumPy's speed, i.e. ≤ 1.11× NumPy's time.
"""
import numpy as np

from .harness import Target, backend_notes, compare, peer_candidates

NAME = "matmul"
SIZES = (64, 128, 256, 512, 1024)
QUICK_SIZES = (64, 256, 1024)
TARGETS = (Target("numpy", round(1 / 0.9, 2)),)


def _tf(a, b):
    def build(tf):
        f = tf.function(tf.matmul)
        ta, tb = tf.constant(a), tf.constant(b)
        return lambda: f(ta, tb)
    return build


def _jax(a, b):
    def build(jax):
        import jax.numpy as jnp
        f = jax.jit(jnp.matmul)
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        return lambda: f(ja, jb).block_until_ready()
    return build


def _torch(a, b):
    def build(torch):
        ta, tb = torch.tensor(a), torch.tensor(b)
        return lambda: ta @ tb
    return build


def _numba(a, b):
    def build(numba):
        f = numba.njit(lambda x, y: np.dot(x, y))
        return lambda: f(a, b)
    return build


def run(settings, enabled, sizes=None):
    import autograph_jit as tf
    from .harness import QUICK
    sizes = sizes or (QUICK_SIZES if settings == QUICK else SIZES)
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        a_np, b_np = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
        a, b = tf.constant(a_np.copy()), tf.constant(b_np.copy())
        graph = tf.function(lambda x, y: tf.matmul(x, y))
        notes = []
        candidates = {"eager": lambda: tf.matmul(a, b), "graph": lambda: graph(a, b),
                      "numpy": lambda: a_np @ b_np}
        builders = {"tf": _tf(a_np, b_np), "jax": _jax(a_np, b_np), "torch": _torch(a_np, b_np),
                    "numba": _numba(a_np, b_np)}
        candidates.update(peer_candidates(builders, enabled, notes))
        row = compare("matmul", f"{n}×{n} f32", candidates, settings, TARGETS,
                      rtol=1e-4, atol=1e-5)
        row.notes += notes + backend_notes(graph, a, b)
        rows.append(row)
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.matmul", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
