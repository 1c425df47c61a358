"""Ragged batches (issue 16): a `TensorSpec([None, 784])` MLP forward (784-100-10, softmax) and
the elementwise chain on `[None, 1024]`, each called with 50 distinct batch sizes (1…256).

One call of a column runs all 50 batches. "ours graph" is the tf.function as users write it: its
`None` batch dim is symbolic (codegen/llvm/symdim.py), one executable for every size; "ours
per-shape" is the same function with symbolic dims switched off (one specialized executable per
size, what every size got before); jax.jit retraces and compiles per shape. The "first pass" rows
time the first run over the 50 sizes in a fresh function (tracing and every compile included),
and report how many executables each of ours compiled. Target (issue 16): symbolic within 1.2×
of the specialized executables, at most 2 compiles, none on the interpreter.
"""
import time

import numpy as np

from .harness import Measurement, Row, Target, backend_notes, compare, peer_candidates

NAME = "ragged"
TARGETS = (Target("specialized", 1.2),)
SIZES = (784, 100, 10)


def batch_sizes(count=50, high=256):
    r = np.random.default_rng(5)
    return [int(n) for n in r.permutation(np.arange(1, high + 1))[:count]]


def _weights():
    r = np.random.default_rng(2)
    n_in, n_hidden, n_out = SIZES
    return [r.normal(0, 0.05, (n_in, n_hidden)).astype(np.float32),
            r.normal(0, 0.1, n_hidden).astype(np.float32),
            r.normal(0, 0.05, (n_hidden, n_out)).astype(np.float32),
            r.normal(0, 0.1, n_out).astype(np.float32)]


def _mlp(tf, params):
    w1, b1, w2, b2 = [tf.constant(p) for p in params]
    return lambda x: tf.nn.softmax(tf.nn.relu(tf.matmul(x, w1) + b1) @ w2 + b2)


def _chain(tf):
    return lambda x: tf.tanh(x * 0.5 + 1) * tf.sigmoid(x) + tf.exp(-x * x)


def _jax_mlp(params):
    def build(jax):
        import jax.numpy as jnp
        w1, b1, w2, b2 = [jnp.asarray(p) for p in params]
        return jax.jit(lambda x: jax.nn.softmax(jax.nn.relu(x @ w1 + b1) @ w2 + b2))
    return build


def _jax_chain():
    def build(jax):
        import jax.numpy as jnp
        return jax.jit(lambda x: jnp.tanh(x * 0.5 + 1) * jax.nn.sigmoid(x) + jnp.exp(-x * x))
    return build


def _over(fn, inputs, finish=lambda r: r):
    return lambda: [finish(fn(x)) for x in inputs]


def _ours(tf, make, width, symbolic):
    """A fresh tf.function over [None, width]; symbolic=False compiles per shape."""
    from autograph_jit.codegen.llvm import symdim
    f = tf.function(make(tf), input_signature=[tf.TensorSpec([None, width], tf.float32)])

    def call(x):
        saved, symdim.ENABLED = symdim.ENABLED, symbolic
        try:
            return f(x)
        finally:
            symdim.ENABLED = saved
    return f, call


def _workload(tf, label, make, jax_build, width, settings, enabled, sizes):
    r = np.random.default_rng(3)
    arrays = [r.standard_normal((n, width)).astype(np.float32) for n in sizes]
    tensors = [tf.constant(a) for a in arrays]
    eager = make(tf)
    f_sym, sym = _ours(tf, make, width, True)
    f_spec, spec = _ours(tf, make, width, False)
    notes = []
    peers = peer_candidates({"jax": jax_build}, enabled, notes)
    jax_inputs = None
    if "jax" in peers:
        import jax.numpy as jnp
        jax_inputs = [jnp.asarray(a) for a in arrays]
    # the first pass over the 50 sizes, in fresh functions (compiles included)
    first = {}
    for name, fn, inputs in (("graph", sym, tensors), ("specialized", spec, tensors),
                             ("jax", peers.get("jax"), jax_inputs)):
        if fn is None:
            continue
        t0 = time.perf_counter()
        for x in inputs:
            out = fn(x)
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        first[name] = Measurement(seconds=time.perf_counter() - t0)
    candidates = {"eager": _over(eager, tensors), "graph": _over(sym, tensors),
                  "specialized": _over(spec, tensors)}
    if "jax" in peers:
        candidates["jax"] = _over(peers["jax"], jax_inputs, lambda y: y.block_until_ready())
    size = f"{len(sizes)} sizes 1…{max(sizes)}, [n, {width}] f32"
    row = compare(label, size, candidates, settings, TARGETS, rtol=1e-5, atol=1e-6)
    counts = {name: len(f.get_concrete_function()._cpu.executables)
              for name, f in (("graph", f_sym), ("specialized", f_spec))}
    fallbacks = len(f_sym.get_concrete_function()._cpu.fallbacks)
    row.notes += notes + [f"executables compiled: symbolic {counts['graph']}, per-shape "
                          f"{counts['specialized']}; interpreter fallbacks (symbolic): "
                          f"{fallbacks}"] + backend_notes(f_sym, tensors[0])[:2]
    first_row = Row(f"{label} first pass", size, first, ())
    first_row.notes.append("one pass over the 50 sizes in a fresh function: tracing and every "
                           "compile included (jax.jit: one trace and compile per shape)")
    return [row, first_row]


def run(settings, enabled, sizes=None):
    import autograph_jit as tf
    sizes = batch_sizes() if sizes is None else sizes
    params = _weights()
    rows = _workload(tf, "ragged MLP forward", lambda t: _mlp(t, params), _jax_mlp(params),
                     SIZES[0], settings, enabled, sizes)
    rows += _workload(tf, "ragged elementwise chain", _chain, _jax_chain(), 1024, settings,
                      enabled, sizes)
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.ragged", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
