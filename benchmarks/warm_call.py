"""Workload 3: warm-call overhead — f(x) = x + 1 on a float32 scalar, already traced and compiled.

Measures everything a call costs besides the math: matching the signature in the cache, checking
arguments, running the graph, wrapping the result. Targets: ≤ 0.15× jax.jit (issue 6) and
≤ 1.5× a Numba call (issue 16). A warm call runs no Python frame: tf.function's `__call__` is
machine code (codegen/llvm/native_call.py), and the scalar result is a recycled tensor.
"""
import numpy as np

from .harness import Target, backend_notes, compare, peer_candidates

NAME = "warm_call"
TARGETS = (Target("jax", 0.15), Target("numba", 1.5))


def _tf(tf):
    f = tf.function(lambda x: x + 1)
    x = tf.constant(1.0)
    return lambda: f(x)


def _jax(jax):
    import jax.numpy as jnp
    f = jax.jit(lambda x: x + 1)
    x = jnp.float32(1.0)
    return lambda: f(x).block_until_ready()


def _torch(torch):
    x = torch.tensor(1.0)
    return lambda: x + 1


def _numba(numba):
    f = numba.njit(lambda x: x + np.float32(1))
    x = np.float32(1.0)
    return lambda: f(x)


def run(settings, enabled):
    import autograph_jit as tf
    x = tf.constant(1.0)
    graph = tf.function(lambda x: x + 1)
    x_np = np.array(1.0, np.float32)
    notes = []
    candidates = {"eager": lambda: x + 1, "graph": lambda: graph(x), "numpy": lambda: x_np + 1}
    candidates.update(peer_candidates(
        {"tf": _tf, "jax": _jax, "torch": _torch, "numba": _numba}, enabled, notes))
    row = compare("warm call f(x)=x+1", "f32 scalar", candidates, settings, TARGETS)
    row.notes += notes + backend_notes(graph, x)
    return [row]


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.warm_call", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
