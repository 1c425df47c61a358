"""`make demo`: a seed-course MLP trained eagerly and as a `tf.function`, side by side.

The model of the seed courses' MNIST chapter — a 784-100-10 `tf.Module` of `tf.Variable`s, Adam,
softmax cross-entropy — trained for a few epochs on synthetic 28×28 "digits" (ten noisy
templates), once op by op (eager) and once through `tf.function`, from the same weights on the
same batches. The table shows each epoch's mean loss and median step time in both modes and the
speedup; then the first call's cost (trace + optimize + compile, stage by stage), whether the
losses agree; then the same network as a `tf.keras.Sequential` trained by `model.fit` with
`run_eagerly=True` and compiled (the default), in a second table of the same form; last, how to
look at every compilation stage.
"""
import statistics
import sys
import time

import numpy as np

import autograph_jit as tf

EPOCHS, BATCH, N_TRAIN, N_TEST = 3, 50, 1000, 200


def make_digits(n, rng, templates):
    labels = rng.integers(0, 10, size=n)
    images = templates[labels] + 1.0 * rng.normal(size=(n, 28, 28))
    return np.clip(images, 0.0, 1.0).astype(np.float32).reshape(n, 784), labels.astype(np.int32)


class MLP(tf.Module):
    """784-100-10 with a ReLU hidden layer; Glorot-uniform weights from a fixed seed."""

    def __init__(self, seed=0, name=None):
        super().__init__(name=name)
        rng = np.random.default_rng(seed)

        def glorot(n_in, n_out):
            limit = np.sqrt(6.0 / (n_in + n_out))
            return rng.uniform(-limit, limit, size=(n_in, n_out)).astype(np.float32)
        self.w1 = tf.Variable(glorot(784, 100), name="w1")
        self.b1 = tf.Variable(np.zeros(100, np.float32), name="b1")
        self.w2 = tf.Variable(glorot(100, 10), name="w2")
        self.b2 = tf.Variable(np.zeros(10, np.float32), name="b2")

    def __call__(self, x):
        return tf.nn.relu(x @ self.w1 + self.b1) @ self.w2 + self.b2


def make_train_step(model):
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return train_step


def train(step, batches):
    """Per epoch: (losses, step seconds). The very first call is timed apart (it compiles)."""
    epochs, first = [], None
    for _ in range(EPOCHS):
        losses, times = [], []
        for x, y in batches:
            t0 = time.perf_counter()
            loss = step(x, y)
            dt = time.perf_counter() - t0
            if first is None:
                first = dt
            else:
                times.append(dt)
            losses.append(float(loss))
        epochs.append((losses, times))
    return epochs, first


def accuracy(model, x, y):
    return float(np.mean(np.argmax(model(x).numpy(), axis=1) == y))


def _table(head, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _train_graph(batches):
    """Train a fresh model through tf.function on the default backend (its first call traces and
    compiles); if that backend fails, say so and use backend='eager' (the graph interpreter)."""
    for backend in (None, "eager"):
        model = MLP(seed=0)
        step = tf.function(make_train_step(model), backend=backend)
        try:
            return step, model, backend, *train(step, batches)
        except Exception as e:
            if backend is not None:
                raise
            print(f"note: the default backend failed on this step ({type(e).__name__}: {e}); "
                  "showing backend='eager' (the graph interpreter) instead.\n")


def summarize_stages(stage_times):
    """[(stage, seconds)] as one line, in order, the optimizer's passes summed into one figure
    (also used by benchmarks/mlp_step.py)."""
    parts, passes = [], []
    for name, seconds in stage_times:
        if name.startswith("pass "):
            if not passes:
                parts.append(None)   # the passes' place in the order
            passes.append(seconds)
        else:
            parts.append(f"{name} {seconds * 1e3:.1f} ms")
    summary = f"{len(passes)} passes {sum(passes) * 1e3:.1f} ms"
    return ", ".join(summary if p is None else p for p in parts)


def main():
    rng = np.random.default_rng(0)
    templates = rng.uniform(0.0, 1.0, size=(10, 28, 28)).astype(np.float32)
    x_train, y_train = make_digits(N_TRAIN, rng, templates)
    x_test, y_test = make_digits(N_TEST, rng, templates)
    batches = [(tf.constant(x_train[i:i + BATCH]), tf.constant(y_train[i:i + BATCH]))
               for i in range(0, N_TRAIN, BATCH)]
    print(f"MLP 784-100-10 (tf.Module), Adam, softmax cross-entropy: {EPOCHS} epochs of "
          f"{len(batches)} steps at batch {BATCH}, synthetic 28×28 digits\n")

    eager_model = MLP(seed=0)
    eager_epochs, _ = train(make_train_step(eager_model), batches)

    graph_fn, graph_model, backend, graph_epochs, first_call = _train_graph(batches)

    rows, all_e, all_g, t_e, t_g = [], [], [], [], []
    for k, ((le, te), (lg, tg)) in enumerate(zip(eager_epochs, graph_epochs), 1):
        me, mg = statistics.median(te), statistics.median(tg)
        rows.append((str(k), f"{np.mean(le):.6f}", f"{np.mean(lg):.6f}", f"{me * 1e3:.2f}",
                     f"{mg * 1e3:.2f}", f"{me / mg:.1f}×"))
        all_e += le
        all_g += lg
        t_e += te
        t_g += tg
    print(_table(("epoch", "eager loss", "tf.function loss", "eager ms/step",
                  "tf.function ms/step", "speedup"), rows))

    cf = graph_fn.get_concrete_function(*batches[0])
    stages = summarize_stages(getattr(cf, "stage_times", ()))
    me, mg = statistics.median(t_e), statistics.median(t_g)
    diff = float(np.max(np.abs(np.subtract(all_e, all_g))))
    same = np.allclose(all_e, all_g, rtol=1e-4, atol=1e-5)
    print()
    print("backend: cpu (the default)" if backend is None else f"backend: {backend}")
    for line in getattr(cf, "_backend_report", None) or ():
        print(f"  {line}")
    print(f"first tf.function call (trace + optimize + compile): {first_call * 1e3:.0f} ms")
    if stages:
        print(f"  {stages}")
    print(f"median step: eager {me * 1e3:.2f} ms, tf.function {mg * 1e3:.2f} ms "
          f"-> {me / mg:.1f}× faster")
    print(f"losses equal (rtol 1e-4): {'yes' if same else 'NO'} ({len(all_e)} steps, "
          f"max |Δ| {diff:.1e}); "
          f"test accuracy: eager {accuracy(eager_model, x_test, y_test):.3f}, "
          f"tf.function {accuracy(graph_model, x_test, y_test):.3f}")
    print()
    fit_same = fit_section(x_train, y_train, x_test, y_test)
    print()
    print(_how_to_inspect(cf))
    return 0 if same and fit_same else 1


def _keras_mlp(weights):
    model = tf.keras.Sequential([tf.keras.Input((784,)),
                                 tf.keras.layers.Dense(100, activation="relu"),
                                 tf.keras.layers.Dense(10)])
    model.set_weights(weights)
    return model


class _EpochTimer(tf.keras.callbacks.Callback):
    """Each epoch's wall time and final loss, as `fit` reports them."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((logs["loss"], time.perf_counter() - self.t0))


def _fit_epochs(model, x, y, run_eagerly):
    """One `model.fit` call: [(loss, ms/step)] per epoch (the compiled model's first epoch
    includes its compilation)."""
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=run_eagerly)
    timer = _EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
              callbacks=[timer])
    steps = -(-len(x) // BATCH)
    return [(loss, seconds / steps) for loss, seconds in timer.epochs]


def fit_section(x_train, y_train, x_test, y_test):
    """The same MLP as a Keras Sequential trained by `model.fit`, `run_eagerly=True` against
    the default (compiled) fit, from the same weights on the same batches."""
    seed = MLP(seed=0)
    weights = [v.numpy() for v in (seed.w1, seed.b1, seed.w2, seed.b2)]
    eager, compiled = _keras_mlp(weights), _keras_mlp(weights)
    e, c = _fit_epochs(eager, x_train, y_train, True), _fit_epochs(compiled, x_train, y_train, False)
    print(f"model.fit: the same MLP as tf.keras.Sequential (Dense 100 relu, Dense 10), "
          f"{EPOCHS} epochs at batch {BATCH}, shuffle=False")
    rows = [(str(k), f"{le:.6f}", f"{lc:.6f}", f"{te * 1e3:.2f}", f"{tc * 1e3:.2f}",
             f"{te / tc:.1f}×") for k, ((le, te), (lc, tc)) in enumerate(zip(e, c), 1)]
    print(_table(("epoch", "run_eagerly loss", "compiled fit loss", "eager ms/step",
                  "compiled ms/step", "speedup"), rows))
    same = np.allclose([l for l, _ in e], [l for l, _ in c], rtol=1e-4, atol=1e-5)
    acc = [float(np.mean(np.argmax(m.predict(x_test, verbose=0), axis=1) == y_test))
           for m in (eager, compiled)]
    print(f"(epoch 1 of compiled fit includes its compilation) epoch losses equal (rtol 1e-4): "
          f"{'yes' if same else 'NO'}; test accuracy: run_eagerly {acc[0]:.3f}, "
          f"compiled {acc[1]:.3f}")
    return same


def _how_to_inspect(cf):
    """One line naming the inspection stages this checkout really has."""
    shows = [f"print({expr})" for attr, expr in (
        ("graph", "cf.graph"), ("optimized_graph", "cf.optimized_graph"),
        ("llvm_ir", "cf.llvm_ir()"), ("asm", "cf.asm()"), ("explain", "cf.explain()"))
        if hasattr(cf, attr)]
    return ("See every stage: cf = train_step.get_concrete_function(x, y); then "
            + ", ".join(shows))


if __name__ == "__main__":
    sys.exit(main())
