"""One worker process of the tf.distribute tests: `python worker.py SCENARIO OUT.json` with
TF_CONFIG set. It writes its results (or the error it met) to OUT.json and exits by itself;
every collective has a short timeout, so no scenario can hang."""
import json
import os
import sys
import time
import traceback

import numpy as np

import autograph_jit as tf

TIMEOUT = float(os.environ.get("DIST_TEST_TIMEOUT", "20"))


def data(n=24, d=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, d)
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.randn(n, 1)
    return x, y


def custom_loop(strategy, rank, out):
    """Linear regression with a custom loop: distributed dataset, run, all_reduce(MEAN)."""
    x, y = data()
    with strategy.scope():
        # a different initial value on every worker: mirroring makes them all the chief's
        w = tf.Variable(np.random.RandomState(100 + rank).randn(3, 1), name="w")
        b = tf.Variable(np.zeros(1) + rank, name="b")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    dist = strategy.experimental_distribute_dataset(ds)
    out["w0"] = w.numpy().tolist()

    @tf.function
    def step(batch):
        def replica_fn(inputs):
            bx, by = inputs
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(tf.matmul(bx, w) + b - by))
            grads = tape.gradient(loss, [w, b])
            grads = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, grads)
            w.assign_sub(0.1 * grads[0])
            b.assign_sub(0.1 * grads[1])
            return loss
        loss = strategy.run(replica_fn, args=(batch,))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, loss, axis=None)

    losses = []
    for _ in range(3):
        for batch in dist:
            losses.append(float(step(batch)))
    out["w"] = w.numpy().tolist()
    out["b"] = b.numpy().tolist()
    out["losses"] = losses


def keras_fit(strategy, rank, out):
    x, y = data(n=40)
    tf.random.set_seed(rank)   # different initial weights per worker, made equal by mirroring
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4, "tanh"),
                                     tf.keras.layers.Dense(1)])
        model.compile(tf.keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    out["init"] = [v.tolist() for v in model.get_weights()]
    history = model.fit(x.astype("float32"), y.astype("float32"), batch_size=8, epochs=3,
                        shuffle=os.environ.get("DIST_SHUFFLE") == "1", verbose=0)
    out["weights"] = [v.tolist() for v in model.get_weights()]
    out["history"] = history.history


def collectives(strategy, rank, out):
    out["replicas"] = strategy.num_replicas_in_sync
    v = tf.constant(np.arange(3.0) + 10 * rank)
    out["sum"] = strategy.reduce("SUM", v, axis=None).numpy().tolist()
    out["mean"] = strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None).numpy().tolist()
    rows = tf.constant(np.full((rank + 1, 2), float(rank)))   # 1 row on worker 0, 2 on worker 1
    out["mean_axis0"] = strategy.reduce("MEAN", rows, axis=0).numpy().tolist()
    out["sum_axis0"] = strategy.reduce("SUM", rows, axis=0).numpy().tolist()
    out["gather"] = strategy.gather(rows, axis=0).numpy().tolist()
    out["int_sum"] = int(strategy.reduce("SUM", tf.constant(rank + 1), axis=None))

    @tf.function
    def nested(a, b):
        return strategy.run(lambda a, b: tf.distribute.get_replica_context().all_reduce(
            "SUM", {"a": a, "b": [b, b * 2]}), args=(a, b))
    r = nested(tf.constant([1.0, 2.0]) * (rank + 1), tf.constant(rank, tf.int32))
    out["nested"] = {"a": r["a"].numpy().tolist(), "b": [int(r["b"][0]), int(r["b"][1])]}
    ctx_ids = strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
    out["replica_id"] = int(ctx_ids)
    ds = tf.data.Dataset.range(10)
    out["unbatched"] = [int(e) for e in strategy.experimental_distribute_dataset(ds)]
    out["from_function"] = [e.numpy().tolist() for e in strategy.distribute_datasets_from_function(
        lambda ctx: tf.data.Dataset.range(8).shard(ctx.num_input_pipelines,
                                                   ctx.input_pipeline_id).batch(
            ctx.get_per_replica_batch_size(4)))]


def die(strategy, rank, out):
    """Worker 1 exits mid-training; worker 0 keeps reducing and must fail fast."""
    one = tf.constant(np.ones(1000, np.float32))
    strategy.reduce("SUM", one, axis=None)
    if rank == 1:
        os._exit(3)
    start = time.monotonic()
    try:
        for _ in range(100):
            strategy.reduce("SUM", one, axis=None)
        out["error"] = None
    finally:
        out["seconds"] = time.monotonic() - start


def die_in_fit(strategy, rank, out):
    """Worker 1 exits after one epoch of Keras fit; worker 0's compiled train step must raise."""
    x, y = data(n=40)
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        model.compile(tf.keras.optimizers.SGD(0.05), "mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    if rank == 1:
        os._exit(3)
    start = time.monotonic()
    try:
        model.fit(x, y, batch_size=8, epochs=5, verbose=0, shuffle=False)
        out["error"] = None
    finally:
        out["seconds"] = time.monotonic() - start


def stall(strategy, rank, out):
    """Worker 1 stops taking part (sleeps past the timeout); worker 0 must time out."""
    one = tf.constant(np.ones(10, np.float32))
    strategy.reduce("SUM", one, axis=None)
    if rank == 1:
        time.sleep(TIMEOUT * 3 + 2)
        return
    start = time.monotonic()
    try:
        strategy.reduce("SUM", one, axis=None)
    finally:
        out["seconds"] = time.monotonic() - start


def bench(strategy, rank, out):
    """p50/p90 of an all-reduce of 100k float32 (one exchange), after a warm-up."""
    group = strategy._group
    arr = np.ones(100_000, np.float32) * (rank + 1)
    for _ in range(50):
        group.all_reduce_arrays(tf.distribute.ReduceOp.SUM, [arr])
    times = []
    for _ in range(int(os.environ.get("DIST_BENCH_ITERS", "500"))):
        t = time.perf_counter()
        res = group.all_reduce_arrays(tf.distribute.ReduceOp.SUM, [arr])
        times.append(time.perf_counter() - t)
    assert float(res[0][0]) == 3.0
    out["p50_us"] = float(np.percentile(times, 50) * 1e6)
    out["p90_us"] = float(np.percentile(times, 90) * 1e6)
    out["backend"] = group.comm.name


def main():
    scenario, path = sys.argv[1], sys.argv[2]
    out = {}
    strategy = None
    try:
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=TIMEOUT)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        rank = strategy._group.rank
        out["rank"] = rank
        globals()[scenario](strategy, rank, out)
    except Exception as e:  # noqa: BLE001 (reported to the test through the file)
        out["error"] = type(e).__name__
        out["message"] = str(e)
        out["traceback"] = traceback.format_exc()
    with open(path, "w") as f:
        json.dump(out, f)
    if strategy is not None:
        strategy.close()   # unlinks this worker's shared memory (os._exit skips atexit)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
