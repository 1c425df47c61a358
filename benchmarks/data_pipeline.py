"""Workload: one epoch of `from_tensor_slices(x).map(lambda x: tf.cast(x, tf.float32) / 255)
.batch(128)` over 60,000 x 784 uint8 (issue 15).

Columns: "graph" is our pipeline as a user writes it (the map is traced once and, being
row-wise, fused with the batch: one compiled call per batch); "eager" is the same pipeline with
map-batch fusion off (one compiled call per element, then stacking, as TF runs it); "numpy" is
a plain NumPy generator slicing and scaling batches; TensorFlow's tf.data joins as a peer when
installed. Targets (issue 15): ≤ 0.3× TF tf.data and ≤ 2× the NumPy generator. A call returns
the sum of every batch's sum (float64), checked across columns.
"""
import numpy as np

from . import harness
from .harness import Target, compare, peer_candidates

NAME = "data_pipeline"
TARGETS = (Target("tf", 0.3), Target("numpy", 2.0))


def _epoch(batches):
    total = 0.0
    for b in batches:
        total += float(np.asarray(b, dtype=np.float64).sum())
    return np.float64(total)


def _ours(tf, x, batch, fusion):
    ds = tf.data.Dataset.from_tensor_slices(x).map(lambda v: tf.cast(v, tf.float32) / 255) \
        .batch(batch)
    if not fusion:
        options = tf.data.Options()
        options.experimental_optimization.map_and_batch_fusion = False
        ds = ds.with_options(options)
    return lambda: _epoch(b._value for b in ds)


def _numpy(x, batch):
    def gen():
        for i in range(0, len(x), batch):
            yield x[i:i + batch].astype(np.float32) / np.float32(255)
    return lambda: _epoch(gen())


def _tf(x, batch):
    def build(tf):
        ds = tf.data.Dataset.from_tensor_slices(x).map(lambda v: tf.cast(v, tf.float32) / 255) \
            .batch(batch)
        return lambda: _epoch(b.numpy() for b in ds)
    return build


def _torch(x, batch):
    def build(torch):
        from torch.utils.data import DataLoader, Dataset

        class Images(Dataset):
            def __len__(self):
                return len(x)

            def __getitem__(self, i):
                return torch.from_numpy(x[i]).to(torch.float32) / 255
        loader = DataLoader(Images(), batch_size=batch)
        return lambda: _epoch(b.numpy() for b in loader)
    return build


def shuffle_memory(tf, buffer=10_000, features=784):
    """Peak traced memory while a shuffle buffer of `buffer` generator elements of `features`
    bytes fills and drains one buffer's worth, over the buffer's bytes (TF: ~2.5)."""
    import tracemalloc
    rng = np.random.default_rng(1)

    def gen():
        for _ in range(2 * buffer):
            yield rng.integers(0, 256, features, dtype=np.uint8)
    ds = tf.data.Dataset.from_generator(
        gen, output_signature=tf.TensorSpec([features], tf.uint8)).shuffle(buffer, seed=1)
    tracemalloc.start()
    try:
        it = iter(ds.as_numpy_iterator())
        for _ in range(buffer):
            next(it)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / (buffer * features)


def run(settings, enabled, n=60_000, features=784, batch=128):
    import autograph_jit as tf
    x = np.random.default_rng(0).integers(0, 256, (n, features), dtype=np.uint8)
    notes = []
    candidates = {"eager": _ours(tf, x, batch, fusion=False),
                  "graph": _ours(tf, x, batch, fusion=True),
                  "numpy": _numpy(x, batch)}
    candidates.update(peer_candidates({"tf": _tf(x, batch), "torch": _torch(x, batch)},
                                      enabled, notes))
    row = compare("tf.data map(cast/255).batch(128), one epoch", f"{n:,}×{features} u8",
                  candidates, settings, TARGETS, rtol=1e-6, atol=0.0)
    row.notes += notes + ["eager column: the same pipeline with map-batch fusion off (one "
                          "compiled map call per element)"]
    if settings is not harness.TINY:
        row.notes.append(f"shuffle(10_000) of 784-byte generator elements: peak memory "
                         f"{shuffle_memory(tf):.2f}× the buffer's bytes (issue 15: ≤ 1.2×)")
    return [row]


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.data_pipeline", __doc__.splitlines()[0],
                         {NAME: run}, argv)


if __name__ == "__main__":
    raise SystemExit(main())
