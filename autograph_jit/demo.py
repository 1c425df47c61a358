"""`make demo`: a seed-course training step run eagerly and as a tf.function, side by side.

A linear-regression model (the seed courses' first example) and a small MLP are trained with
GradientTape + a Keras optimizer; each step runs once eagerly and once through `tf.function`.
The table shows the median step time of each mode, the ratio, and that the losses agree.
"""
import statistics
import sys
import time

import numpy as np

import autograph_jit as tf


def _time_steps(step, batches, repeats=5):
    times, losses = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for x, y in batches:
            losses.append(float(step(x, y)))
        times.append((time.perf_counter() - t0) / len(batches))
    return statistics.median(times), losses


def _linear_regression():
    rng = np.random.default_rng(0)
    X = rng.uniform(-10, 10, size=(400, 2)).astype(np.float32)
    Y = X @ np.array([[2.0], [-3.0]], np.float32) + 3.0 + rng.normal(0, 2, (400, 1)).astype(np.float32)
    batches = [(tf.constant(X[i:i + 40]), tf.constant(Y[i:i + 40])) for i in range(0, 400, 40)]

    def make():
        w = tf.Variable(np.zeros((2, 1), np.float32))
        b = tf.Variable(np.zeros((1,), np.float32))
        opt = tf.keras.optimizers.SGD(learning_rate=0.001)

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((y - (x @ w + b)) ** 2 / 2)
            grads = tape.gradient(loss, [w, b])
            opt.apply_gradients(zip(grads, [w, b]))
            return loss
        return step
    return "linear regression (SGD)", make, batches


def _mlp():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(500, 784)).astype(np.float32)
    Y = rng.integers(0, 10, size=500).astype(np.int32)
    batches = [(tf.constant(X[i:i + 50]), tf.constant(Y[i:i + 50])) for i in range(0, 500, 50)]

    def make():
        r = np.random.default_rng(2)
        w1 = tf.Variable(r.normal(0, 0.05, (784, 100)).astype(np.float32))
        b1 = tf.Variable(np.zeros(100, np.float32))
        w2 = tf.Variable(r.normal(0, 0.05, (100, 10)).astype(np.float32))
        b2 = tf.Variable(np.zeros(10, np.float32))
        params = [w1, b1, w2, b2]
        opt = tf.keras.optimizers.Adam(learning_rate=0.001)

        def step(x, y):
            with tf.GradientTape() as tape:
                h = tf.nn.relu(x @ w1 + b1)
                logits = h @ w2 + b2
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            grads = tape.gradient(loss, params)
            opt.apply_gradients(zip(grads, params))
            return loss
        return step
    return "MLP 784-100-10 (Adam, batch 50)", make, batches


def main():
    rows = []
    for name, make, batches in (_linear_regression(), _mlp()):
        eager_step = make()
        graph_step = tf.function(make(), backend="eager")
        t_compile = time.perf_counter()
        graph_step(*batches[0])
        t_compile = time.perf_counter() - t_compile
        fresh_eager = make()
        fresh_eager(*batches[0])
        t_eager, l_eager = _time_steps(fresh_eager, batches)
        t_graph, l_graph = _time_steps(graph_step, batches)
        same = np.allclose(l_eager, l_graph, rtol=1e-4, atol=1e-5)
        rows.append((name, t_eager * 1e3, t_graph * 1e3, t_eager / t_graph, t_compile * 1e3,
                     l_graph[-1], "yes" if same else "NO"))
    head = ("workload", "eager ms/step", "tf.function ms/step", "speedup", "first call ms",
            "final loss", "losses equal")
    widths = [max(len(head[i]), *(len(_fmt(r[i])) for r in rows)) for i in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(_fmt(v).ljust(w) for v, w in zip(r, widths)))
    print()
    print("tf.function currently runs its graph on the interpreter (backend='eager'); the LLVM")
    print("backend is the next step. See the traced graph of any function f with:")
    print("    print(f.get_concrete_function(*args).graph)")
    return 0


def _fmt(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    sys.exit(main())
