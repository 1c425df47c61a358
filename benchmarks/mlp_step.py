"""Workload 4: one Adam training step of a 784-100-10 MLP at batch 50 (softmax cross-entropy),
and the first call of that step (trace + optimize + compile).

Forward, backward through GradientTape and the Adam update of four variables: the seed courses'
`train_step`. Every framework starts from the same weights, so the first step's losses must agree.
Targets (issue 6): a step ≤ 1.0× jax.jit and ≤ 0.1× our eager mode; the first call ≤ 1.5 s, and
≤ 0.2 s in a new process whose on-disk compile cache already holds the step.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from .harness import Measurement, Row, Target, backend_notes, compare, peer_candidates

NAME = "mlp"
TARGETS = (Target("jax", 1.0), Target("eager", 0.1))
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-7   # Keras' Adam defaults (epsilon 1e-7)


def initial_params(sizes):
    r = np.random.default_rng(2)
    n_in, n_hidden, n_out = sizes
    return [r.normal(0, 0.05, (n_in, n_hidden)).astype(np.float32),
            np.zeros(n_hidden, np.float32),
            r.normal(0, 0.05, (n_hidden, n_out)).astype(np.float32),
            np.zeros(n_out, np.float32)]


def batch(sizes, n):
    r = np.random.default_rng(1)
    return (r.uniform(0, 1, (n, sizes[0])).astype(np.float32),
            r.integers(0, sizes[2], n).astype(np.int32))


def make_step(tf, sizes):
    """A fresh train_step over fresh variables (this library's or TensorFlow's: same code)."""
    params = [tf.Variable(p) for p in initial_params(sizes)]
    w1, b1, w2, b2 = params
    opt = tf.keras.optimizers.Adam(learning_rate=LR, epsilon=EPS)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss
    return train_step


def _tf(sizes, data):
    def build(tf):
        step = tf.function(make_step(tf, sizes))
        x, y = tf.constant(data[0]), tf.constant(data[1])
        return lambda: step(x, y)
    return build


def _jax(sizes, data):
    def build(jax):
        import jax.numpy as jnp

        def loss_fn(params, x, y):
            w1, b1, w2, b2 = params
            logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        return jax_adam_call(jax, loss_fn, initial_params(sizes), data)
    return build


def jax_adam_call(jax, loss_fn, params, data):
    """A call running one jax.jit'ed step of Keras's Adam (LR, BETA1, BETA2, EPS) on
    `loss_fn(params, x, y)` from NumPy `params`, on `data` = (x, y); it returns the loss, ready.
    Also the CNN step's JAX column (cnn_step.py)."""
    import jax.numpy as jnp

    def step(params, m, v, t, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        t = t + 1
        alpha = LR * jnp.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
        m = [mi + (g - mi) * (1 - BETA1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - BETA2) for vi, g in zip(v, grads)]
        params = [p - alpha * mi / (jnp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)]
        return loss, params, m, v, t
    f = jax.jit(step)
    params = [jnp.asarray(p) for p in params]
    state = [params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params],
             jnp.float32(0)]
    x, y = jnp.asarray(data[0]), jnp.asarray(data[1])

    def call():
        loss, *state[:] = f(*state, x, y)
        return loss.block_until_ready()
    return call


def _torch(sizes, data):
    def build(torch):
        params = [torch.tensor(p, requires_grad=True) for p in initial_params(sizes)]
        w1, b1, w2, b2 = params
        opt = torch.optim.Adam(params, lr=LR, eps=EPS)
        x, y = torch.tensor(data[0]), torch.tensor(data[1]).long()

        def call():
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, y)
            loss.backward()
            opt.step()
            return loss.detach()
        return call
    return build


def _first_call_child():
    """In a new process: warm the library up, then time the MLP step's first call (printed as
    JSON). The parent picks the compile cache directory through the environment."""
    import time
    import autograph_jit as tf
    sizes, n = json.loads(sys.argv[1])
    tf.function(lambda v: v + 1)(tf.constant(1.0))   # library and LLVM start-up, not the step
    x, y = (tf.constant(a) for a in batch(sizes, n))
    step = tf.function(make_step(tf, sizes))
    t0 = time.perf_counter()
    loss = step(x, y)
    seconds = time.perf_counter() - t0
    stages = step.get_concrete_function(x, y).stage_times
    print(json.dumps({"seconds": seconds, "loss": float(loss), "stages": stages}))


def _first_call_in_new_process(sizes, n, cache_dir):
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=cache_dir)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = "from benchmarks.mlp_step import _first_call_child; _first_call_child()"
    proc = subprocess.run([sys.executable, "-c", code, json.dumps([list(sizes), n])], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Measurement(error=f"child failed: {tail[:100]}"), None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return Measurement(seconds=out["seconds"], value=np.float32(out["loss"])), out["stages"]


def _first_calls(sizes, data, enabled):
    """Rows for the first call: cold (empty compile cache) and with a warm disk cache, both in a
    new process; TensorFlow's and JAX's first call of a new function in this (warm) process."""
    import time
    from . import peers
    rows = []
    with tempfile.TemporaryDirectory(prefix="agjit-bench-cache-") as cache_dir:
        for label, target in (("cold compile cache", 1.5), ("warm disk cache", 0.2)):
            cell, stages = _first_call_in_new_process(sizes, len(data[1]), cache_dir)
            row = Row("MLP step first call", label, {"graph": cell}, (Target(None, target),))
            if stages:
                from autograph_jit.demo import summarize_stages
                row.notes.append("stages: " + summarize_stages(stages))
            rows.append(row)
    builders = {"tf": _tf(sizes, data), "jax": _jax(sizes, data)}
    for name in peers.ORDER:
        module = peers.load(name) if name in enabled and name in builders else None
        if module is None:
            continue
        try:
            call = builders[name](module)
            t0 = time.perf_counter()
            call()
            rows[0].cells[name] = Measurement(seconds=time.perf_counter() - t0)
        except Exception as e:
            rows[0].notes.append(f"{peers.LABELS[name]} first call failed: {e}")
    return rows


def run(settings, enabled, n=50, sizes=(784, 100, 10), first_call=True):
    import autograph_jit as tf
    data = batch(sizes, n)
    x, y = tf.constant(data[0]), tf.constant(data[1])
    eager_step, graph_step = make_step(tf, sizes), tf.function(make_step(tf, sizes))
    notes = []
    candidates = {"eager": lambda: eager_step(x, y), "graph": lambda: graph_step(x, y)}
    builders = {"tf": _tf(sizes, data), "jax": _jax(sizes, data), "torch": _torch(sizes, data)}
    candidates.update(peer_candidates(builders, enabled, notes))
    row = compare(f"MLP {'-'.join(map(str, sizes))} Adam step", f"batch {n}", candidates,
                  settings, TARGETS, rtol=1e-5, atol=1e-6)
    row.notes += notes + backend_notes(graph_step, x, y)
    return [row] + (_first_calls(sizes, data, enabled) if first_call else [])


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.mlp_step", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
