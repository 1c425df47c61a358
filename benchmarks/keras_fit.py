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
"""
import numpy as np

from .harness import Target, compare, peer_candidates

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


def run(settings, enabled, sizes=(32, 256), n=N, cnn_n=CNN_N):
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
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.keras_fit", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
