"""What Keras `fit` does under a multi-worker strategy (the model was built in its scope):

- each global batch of `fit`'s data is split between the workers (worker i takes its rows of
  every batch; shuffling uses one seed broadcast from the first worker, so all workers split
  the same batches);
- the default `train_step` averages the gradients over all workers' rows in one exchange per
  step (`all_reduce_gradients`), so every replica applies the global batch's gradient;
- the epoch's logs are averaged over the workers, weighted by their rows (the global mean).
"""
import numpy as np

from .. import nest
from .input_lib import split_rows
from .reduce_util import ReduceOp

__all__ = ["all_reduce_gradients", "shard_fit_data", "mean_logs"]


def all_reduce_gradients(strategy, grads, local_batch_size):
    """`grads` averaged over every worker's batch rows (None gradients stay None)."""
    present = [i for i, g in enumerate(grads) if g is not None]
    reduced = strategy._group.weighted_mean([grads[i] for i in present], local_batch_size)
    out = list(grads)
    for i, g in zip(present, reduced):
        out[i] = g
    return out


def _rows(batch):
    for leaf in nest.flatten(batch):
        if leaf is not None and len(getattr(leaf, "shape", ())):
            return int(leaf.shape[0])
    return 0


class ShardedFitData:
    """`fit`'s data (ArrayData or IterableData) as seen by one worker: its rows of each batch.

    Example:
        data = ShardedFitData(strategy, data)
    """

    def __init__(self, strategy, data):
        self._strategy = strategy
        self.data = data
        self.rows_seen = 0

    def __getattr__(self, name):   # steps, known_steps, batch_size, ...
        return getattr(self.data, name)

    def epoch_batches(self):
        group = self._strategy._group
        self.rows_seen = 0
        batches = self._seeded_batches(group)
        for batch in batches:
            start, stop = split_rows(_rows(batch), group.size, group.rank)
            local = nest.map_structure(lambda v: None if v is None else v[start:stop], batch)
            self.rows_seen += stop - start
            yield local

    def _seeded_batches(self, group):
        batches = self.data.epoch_batches()
        if not getattr(self.data, "shuffle", False):
            return batches
        seed = int(group.broadcast_array(np.random.randint(0, 2**31 - 1, size=1, dtype=np.int64),
                                         0, "fit: shuffle seed")[0])
        saved = np.random.get_state()
        np.random.seed(seed)   # the epoch's permutation is drawn at the first batch
        try:
            first = next(batches, None)
        finally:
            np.random.set_state(saved)
        if first is None:
            return iter(())

        def chained():
            yield first
            yield from batches
        return chained()


def shard_fit_data(strategy, data):
    """`data` split between the workers of `strategy` (see ShardedFitData)."""
    return ShardedFitData(strategy, data)


def mean_logs(strategy, data, logs):
    """The epoch's numeric logs averaged over the workers, weighted by the rows each saw."""
    keys = [k for k in sorted(logs) if isinstance(logs[k], (int, float, np.floating))]
    rows = float(getattr(data, "rows_seen", 1))
    values = np.array([logs[k] * rows for k in keys] + [rows], np.float64)
    total = strategy._group.all_reduce_arrays(ReduceOp.SUM, [values], "fit: epoch logs")[0]
    out = dict(logs)
    if total[-1] > 0:
        for k, v in zip(keys, total[:-1]):
            out[k] = float(v / total[-1])
    return out
