"""Workload: one epoch of Keras `model.fit` — MLP 784-128-10 (relu, Adam 1e-3, sparse softmax
cross-entropy from logits) on 12,000 x 784 synthetic digits, batch 32 and 256 — and `predict`
on 10,000 samples at the default batch size.

Columns: our `fit(run_eagerly=True)` ("eager"), our compiled `fit` ("graph": tf.function steps,
many steps per native call), TensorFlow Keras 3 `fit` ("tf", when installed) and a PyTorch loop
over the same batches ("torch", when installed). Every column starts from the same weights and
runs unshuffled, so the first epoch's loss must agree.
A CNN row (Conv2D(16,3)→MaxPool→Conv2D(32,3)→MaxPool→Flatten→Dense(10) on 4,096 × 28×28×1,
batch 64) compares compiled fit with TF Keras only.
A row per batch size ("eager: ...") sets our `fit(run_eagerly=True)` beside TF Keras's
`run_eagerly=True` ("TF eager"; ratios there are our eager time / TF's, `Row.base = "eager"`).
Targets (issue 14): batch 32 ≤ 0.25× TF Keras fit; batch 256 ≤ 0.5×; CNN ≤ 0.7×; run_eagerly
≤ 0.5× Keras run_eagerly; predict ≤ 0.25× Keras predict.
First-fit rows (`first_fit_rows`): each in a new process (import, data and model made first, not
timed), the time of the MLP batch-32 `model.fit(...)` call until its first step is done (a
callback on the first batch end stops the epoch there) and until its first epoch is done (plain
`fit`, verbose=0), with an empty compile cache ("cold"), with a cache in which another program
has fitted another model ("new model": the package's own runtime modules are compiled, the
model's steps are not, as for a new model on a machine that has used the package before), and
with the cache the cold runs left ("warm"); TF Keras in a new process beside them. Targets:
first step ≤ 0.25 s cold, ≤ 0.05 s warm. `run()` writes the package's byte-code first, as
`pip install` does (`_byte_compile_package`).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from .harness import Measurement, Row, Target, compare, peer_candidates

NAME = "keras_fit"
N, FEATURES, HIDDEN, CLASSES = 12000, 784, 128, 10


def data(n=N):
    r = np.random.default_rng(3)
    labels = r.integers(0, CLASSES, n)
    templates = r.uniform(0, 1, (CLASSES, FEATURES)).astype(np.float32)
    x = np.clip(templates[labels] + 0.3 * r.normal(size=(n, FEATURES)), 0, 1).astype(np.float32)
    return x, labels.astype(np.int32)


def initial_weights():
    r = np.random.default_rng(4)
    return [r.normal(0, 0.05, (FEATURES, HIDDEN)).astype(np.float32),
            np.zeros(HIDDEN, np.float32),
            r.normal(0, 0.05, (HIDDEN, CLASSES)).astype(np.float32),
            np.zeros(CLASSES, np.float32)]


def keras_model(keras, run_eagerly=False):
    """The same Keras code for this library and TensorFlow."""
    model = keras.Sequential([keras.Input(shape=(FEATURES,)),
                              keras.layers.Dense(HIDDEN, activation="relu"),
                              keras.layers.Dense(CLASSES)])
    model.set_weights(initial_weights())
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=run_eagerly)
    return model


def _fit_epoch(model, x, y, batch_size):
    def call():
        history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        return np.float32(history.history["loss"][0])
    return call


def _torch(x, y, batch_size):
    def build(torch):
        params = [torch.tensor(w, requires_grad=True) for w in initial_weights()]
        w1, b1, w2, b2 = params
        opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
        tx, ty = torch.tensor(x), torch.tensor(y).long()

        def call():
            total = 0.0
            for start in range(0, len(tx), batch_size):
                xb, yb = tx[start:start + batch_size], ty[start:start + batch_size]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(torch.relu(xb @ w1 + b1) @ w2 + b2, yb)
                loss.backward()
                opt.step()
                total += float(loss) * len(xb)
            return np.float32(total / len(tx))
        return call
    return build


def _tf_fit(x, y, batch_size, run_eagerly=False):
    def build(tf):
        return _fit_epoch(keras_model(tf.keras, run_eagerly), x, y, batch_size)
    return build


def _eager_row(settings, enabled, x, y, batch_size):
    """Our fit(run_eagerly=True) against TF Keras's ("TF eager"), same weights, unshuffled."""
    import autograph_jit as tf
    candidates = {"eager": _fit_epoch(keras_model(tf.keras, True), x, y, batch_size)}
    notes = []
    tf_fit = peer_candidates({"tf": _tf_fit(x, y, batch_size, run_eagerly=True)}, enabled,
                             notes).get("tf")
    if tf_fit is not None:
        candidates["tf_eager"] = tf_fit
    row = compare("eager: Keras fit epoch MLP run_eagerly", f"{len(x)}x784, batch {batch_size}",
                  candidates, settings, (Target("tf_eager", 0.5),), rtol=1e-3, atol=1e-4)
    row.base = "eager"
    row.notes += notes
    return row


def _predict(model, x):
    return lambda: model.predict(x, verbose=0)


def _predict_rows(settings, enabled, x):
    import autograph_jit as tf
    candidates = {"eager": _predict(keras_model(tf.keras, run_eagerly=True), x),
                  "graph": _predict(keras_model(tf.keras), x)}
    notes = []
    candidates.update(peer_candidates({"tf": lambda mod: _predict(keras_model(mod.keras), x)},
                                      enabled, notes))
    row = compare("Keras predict MLP 784-128-10", f"{len(x)} samples, batch 32", candidates,
                  settings, (Target("tf", 0.25),), rtol=1e-4, atol=1e-5)
    row.notes += notes
    return row


CNN_N = 4096


def cnn_model(keras):
    """The issue's CNN: Conv2D(16,3)→MaxPool→Conv2D(32,3)→MaxPool→Flatten→Dense(10), Adam 1e-3,
    sparse softmax cross-entropy from logits; the same seeded weights for every library."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(10)])
    r = np.random.default_rng(5)
    model.set_weights([r.normal(0, 0.05, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _cnn_row(settings, enabled, n):
    import autograph_jit as tf
    r = np.random.default_rng(6)
    x = r.random((n, 28, 28, 1), dtype=np.float32)
    y = r.integers(0, 10, n).astype(np.int32)
    candidates = {"graph": _fit_epoch(cnn_model(tf.keras), x, y, 64)}
    notes = []
    candidates.update(peer_candidates(
        {"tf": lambda mod: _fit_epoch(cnn_model(mod.keras), x, y, 64)}, enabled, notes))
    row = compare("Keras fit epoch CNN (2 conv + 2 pool + dense)", f"{n}x28x28x1, batch 64",
                  candidates, settings, (Target("tf", 0.7),), rtol=1e-2, atol=1e-3)
    row.notes += notes
    return row


def _first_fit_child():
    """In a new process: make the data and the compiled MLP model (this library's, or TF Keras's
    with "tf"), then time `fit` to its first step or its first epoch; prints JSON."""
    import time
    lib, mode, n = json.loads(sys.argv[1])
    if lib == "tf":
        from . import peers
        tf = peers.load("tf")
    else:
        import autograph_jit as tf
    x, y = data(n)
    model = keras_model(tf.keras)
    marks = {}

    class FirstStep(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if "step" not in marks:
                marks["step"] = time.perf_counter()
                marks["cpu"] = time.process_time()
                self.model.stop_training = True
    callbacks = [FirstStep()] if mode == "step" else []
    t0, c0 = time.perf_counter(), time.process_time()
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False,
                        callbacks=callbacks)
    seconds = marks.get("step", time.perf_counter()) - t0
    cpu = marks.get("cpu", time.process_time()) - c0   # (every thread of this process)
    out = {"seconds": seconds, "cpu": cpu, "loss": float(history.history["loss"][0])}
    if lib != "tf":
        from autograph_jit.keras.models import graph_cache
        out["graph_cache"] = dict(graph_cache.STATS)
    print(json.dumps(out))


def _byte_compile_package():
    """Write the package's byte-code caches, as `pip install` does: under
    PYTHONDONTWRITEBYTECODE (set on some machines) a source tree's stale or missing .pyc files
    would otherwise make every new process compile ~27 modules again (~125 ms), which an
    installed wheel never pays."""
    import compileall
    import autograph_jit
    from autograph_jit import runtime
    for folder in {os.path.dirname(autograph_jit.__file__), os.path.dirname(runtime.__file__)}:
        compileall.compile_dir(folder, quiet=1)


def _other_model_child():
    """In a new process: fit a small model unlike the benchmark's (5-7-2) for one epoch, so the
    compile cache holds the package's runtime modules but none of the benchmark's steps."""
    import autograph_jit as tf
    rng = np.random.default_rng(0)
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(7, activation="relu"),
                                 tf.keras.layers.Dense(2)])
    model.compile(tf.keras.optimizers.Adam(1e-3),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(rng.random((64, 5), np.float32), rng.integers(0, 2, 64), batch_size=32, verbose=0)
    print(json.dumps({}))


def _fit_in_new_process(lib, mode, n, cache_dir, child="_first_fit_child"):
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=cache_dir)
    env.pop("AUTOGRAPH_JIT_CACHE", None)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"from benchmarks.keras_fit import {child}; {child}()"
    proc = subprocess.run([sys.executable, "-c", code, json.dumps([lib, mode, n])], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"child failed: {tail[:100]}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def first_fit_rows(settings, enabled, n=N):
    """Rows: fresh process, `fit` call -> first step / first epoch, cold and warm compile cache,
    with TF Keras (also a fresh process) beside them; each cell the median of a few processes."""
    import statistics
    from . import peers
    reps = max(1, min(3, settings.repeats))
    with_tf = "tf" in enabled and peers.load("tf") is not None
    rows = []
    labels = ("cold", "new model", "warm")
    for mode, what, bounds in (("step", "Keras fit call → first step done, new process",
                                (0.25, None, 0.05)),
                               ("epoch", "Keras fit call → first epoch done, new process",
                                (None, None, None))):
        times = {label: [] for label in labels + ("tf",)}
        cpu = {label: [] for label in labels + ("tf",)}
        losses, stats, errors = {}, {}, {}
        def record(label, out, error):
            if out is None:
                errors[label] = error
                return
            times[label].append(out["seconds"])
            cpu[label].append(out["cpu"])
            losses.setdefault(label, out["loss"])
            if "graph_cache" in out:
                stats[label] = out["graph_cache"]

        for _ in range(reps):
            with tempfile.TemporaryDirectory(prefix="agjit-bench-fit-") as other_dir:
                out, error = _fit_in_new_process("ours", mode, n, other_dir, "_other_model_child")
                record("new model", *(_fit_in_new_process("ours", mode, n, other_dir)
                                      if out is not None else (None, error)))
            with tempfile.TemporaryDirectory(prefix="agjit-bench-fit-") as cache_dir:
                for label in ("cold", "warm"):
                    record(label, *_fit_in_new_process("ours", mode, n, cache_dir))
            if with_tf:
                record("tf", *_fit_in_new_process("tf", mode, n, tempfile.gettempdir()))
        for label, bound in zip(labels, bounds):
            graph = Measurement(seconds=statistics.median(times[label]) if times[label] else None,
                                value=np.float32(losses.get(label, np.nan)),
                                error=errors.get(label, ""))
            if label != "cold" and "cold" in losses and losses.get(label) != losses["cold"]:
                graph.error = "loss ≠ cold run's"   # (a cache must not change training)
            cells = {"graph": graph}
            if with_tf:
                cells["tf"] = Measurement(
                    seconds=statistics.median(times["tf"]) if times["tf"] else None,
                    value=np.float32(losses.get("tf", np.nan)), error=errors.get("tf", ""))
            targets = (Target(None, bound),) if bound is not None else ()
            row = Row(what, f"{label} compile cache, {n}x784, batch 32", cells, targets)
            cpu_text = ", ".join(f"{k} {statistics.median(v) * 1e3:.0f} ms"
                                 for k, v in (("ours", cpu[label]), ("tf", cpu["tf"])) if v)
            row.notes.append(f"median of {len(times[label])} new processes; CPU time (all "
                             f"threads): {cpu_text}; graph cache {stats.get(label)}")
            rows.append(row)
    return rows


def run(settings, enabled, sizes=(32, 256), n=N, cnn_n=CNN_N, first_fit=True):
    import autograph_jit as tf
    x, y = data(n)
    rows = []
    for batch_size in sizes:
        eager_model, graph_model = keras_model(tf.keras, True), keras_model(tf.keras)
        candidates = {"eager": _fit_epoch(eager_model, x, y, batch_size),
                      "graph": _fit_epoch(graph_model, x, y, batch_size)}
        notes = []
        candidates.update(peer_candidates({"tf": _tf_fit(x, y, batch_size),
                                           "torch": _torch(x, y, batch_size)}, enabled, notes))
        bound = 0.25 if batch_size <= 32 else 0.5
        row = compare("Keras fit epoch MLP 784-128-10", f"{n}x784, batch {batch_size}",
                      candidates, settings, (Target("tf", bound),), rtol=1e-3, atol=1e-4)
        steps = -(-n // batch_size)
        graph = row.cells.get("graph")
        if graph is not None and graph.seconds:
            row.notes.append(f"compiled fit: {graph.seconds / steps * 1e3:.3f} ms/step "
                             f"({steps} steps/epoch)")
        row.notes += notes
        rows.append(row)
        rows.append(_eager_row(settings, enabled, x, y, batch_size))
    rows.append(_predict_rows(settings, enabled, x[:min(n, 10000)]))
    rows.append(_cnn_row(settings, enabled, cnn_n))
    if first_fit:
        _byte_compile_package()
        rows += first_fit_rows(settings, enabled, n)
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.keras_fit", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
