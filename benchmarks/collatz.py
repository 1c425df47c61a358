"""Workload 2: Collatz(27) — 111 steps of a data-dependent tensor while loop with a cond inside.

Two rows: the loop written with `tf.while_loop` + `tf.cond`, and the same loop as a plain Python
`while`/`if` that AutoGraph converts into those ops. Eager mode runs the loop in Python, one op
dispatch per step; a compiler that lowers `while_loop` and `cond` to native branches runs it
without returning to Python. Targets: a warm call ≤ 0.2× jax.jit (a few µs; issue 6) and
≤ 1.5× Numba (issue 16: the loop is the same machine code, registers only, so the gap is the call;
a loop that ran briefly keeps the GIL on the next call, as Numba always does).
"""
import numpy as np

from .harness import Target, backend_notes, compare, peer_candidates

NAME = "collatz"
TARGETS = (Target("jax", 0.2), Target("numba", 1.5))


def collatz_steps(tf, n):
    """Steps for n to reach 1, as a tf.while_loop over (n, steps) with a tf.cond per step."""
    def cond(n, steps):
        return tf.not_equal(n, 1)

    def body(n, steps):
        n = tf.cond(tf.equal(n % 2, 0), lambda: n // 2, lambda: 3 * n + 1)
        return n, steps + 1
    return tf.while_loop(cond, body, [n, tf.constant(0)])[1]


def collatz_python(n):
    """The same loop as plain Python: AutoGraph turns the `while` and `if` on tensors into a
    while_loop and a cond. Framework-neutral: TensorFlow, PyTorch and Numba run this very code."""
    steps = n - n   # zero of n's type: the loop variable is a tensor from the start
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def _tf(start, fn=None):
    def build(tf):
        f = tf.function(fn or (lambda n: collatz_steps(tf, n)))
        n = tf.constant(start)
        return lambda: f(n)
    return build


def _jax(start):
    def build(jax):
        import jax.numpy as jnp

        def steps(n):
            def body(s):
                n, k = s
                return jnp.where(n % 2 == 0, n // 2, 3 * n + 1), k + 1
            return jax.lax.while_loop(lambda s: s[0] != 1, body, (n, jnp.int32(0)))[1]
        f = jax.jit(steps)
        n = jnp.int32(start)
        return lambda: f(n).block_until_ready()
    return build


def _torch(start):
    def build(torch):
        n = torch.tensor(start, dtype=torch.int32)
        return lambda: collatz_python(n)
    return build


def _numba(start):
    def build(numba):
        f = numba.njit(collatz_python)
        return lambda: f(start)
    return build


def run(settings, enabled, start=27):
    import autograph_jit as tf
    n = tf.constant(start)
    rows = []
    for label, fn, tf_peer in (
            ("tf.while_loop", lambda n: collatz_steps(tf, n), _tf(start)),
            ("Python while (AutoGraph)", collatz_python, _tf(start, collatz_python))):
        graph = tf.function(fn)
        notes = []
        candidates = {"eager": lambda: fn(n), "graph": lambda: graph(n)}
        candidates.update(peer_candidates(
            {"tf": tf_peer, "jax": _jax(start), "torch": _torch(start), "numba": _numba(start)},
            enabled, notes))
        row = compare(f"Collatz({start}) {label}", "int32 scalar", candidates, settings, TARGETS)
        steps = row.cells["eager"].value
        if steps is not None:
            row.notes.append(f"{int(np.asarray(steps))} steps")
        row.notes += notes + backend_notes(graph, n)
        rows.append(row)
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.collatz", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
