"""Distributed input: each worker's part of a dataset (`experimental_distribute_dataset`), with
TF's `tf.data.experimental.AutoShardPolicy`:

- FILE: the dataset's file readers read only this worker's files (files i, i + n, ...);
  an error when there is no file source or fewer files than workers.
- DATA: every worker reads everything and keeps its part: of a batched dataset, its slice of
  each global batch (the batch split as evenly as possible, first workers one row more), so the
  replicas' batches together are the global batch; of an unbatched one, every n-th element.
- AUTO (default): FILE when the dataset reads at least one file per worker, else DATA.
- OFF: no sharding; every worker gets every element whole.
"""
import copy

import numpy as np

from ..data.dataset import UNKNOWN, Dataset
from ..data.options import AutoShardPolicy
from ..errors import InvalidArgumentError
from ..data.readers import _FileDataset

__all__ = ["DistributedDataset", "distribute_dataset", "split_rows"]


class DistributedDataset(Dataset):
    """TF's `tf.distribute.DistributedDataset`: iterate it (eagerly, or with `for` inside a
    `tf.function`) to get this worker's replica batches. (Here it is also a tf.data.Dataset.)

    Example:
        for batch in strategy.experimental_distribute_dataset(ds):
            strategy.run(step, args=(batch,))

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> dist = strategy.experimental_distribute_dataset(tf.data.Dataset.range(4).batch(2))
    >>> [int(tf.reduce_sum(b)) for b in dist]
    [1, 5]
    """

    _tf_name = "DistributedDataset"

    def __init__(self, dataset):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"expected a tf.data.Dataset, got {type(dataset).__name__}")
        self._input = dataset
        self._spec = dataset.element_spec

    def _inputs(self):
        return [self._input]

    def _cardinality(self):
        return self._input._cardinality()

    def _iter_flat(self):
        return self._input._iter_flat()


def split_rows(n, parts, index):
    """The [start, stop) of part `index` when n rows split into `parts` (first parts larger)."""
    base, extra = divmod(n, parts)
    start = index * base + min(index, extra)
    return start, start + base + (1 if index < extra else 0)


class _SplitBatches(Dataset):
    """Worker `index` of `parts`: its rows of each element (a global batch)."""

    def __init__(self, input_dataset, parts, index):
        self._input = input_dataset
        self._parts, self._index = parts, index
        self._spec = input_dataset.element_spec

    def _inputs(self):
        return [self._input]

    def _cardinality(self):
        return self._input._cardinality()

    def _iter_flat(self):
        for flat in self._input._iter_flat():
            n = flat[0].shape[0]
            start, stop = split_rows(n, self._parts, self._index)
            yield tuple(np.ascontiguousarray(np.asarray(c)[start:stop]) for c in flat)


def _policy(dataset):
    policy = dataset.options().experimental_distribute.auto_shard_policy
    if isinstance(policy, str):
        policy = getattr(AutoShardPolicy, policy.upper())
    if policy not in (AutoShardPolicy.OFF, AutoShardPolicy.AUTO, AutoShardPolicy.FILE,
                      AutoShardPolicy.DATA):
        raise InvalidArgumentError(f"auto_shard_policy {policy!r} is not supported here (OFF, "
                                   "AUTO, FILE or DATA)")
    return policy


def _batched(dataset):
    from ..data.batching import BatchDataset, PaddedBatchDataset
    return any(isinstance(ds, (BatchDataset, PaddedBatchDataset)) for ds in dataset._chain())


def _file_sources(dataset):
    return [ds for ds in dataset._chain() if isinstance(ds, _FileDataset)]


def _rewrite(dataset, replace):
    """A copy of the pipeline ending in `dataset` with `replace(node)` applied where it returns
    a new node (the other nodes are shallow copies pointing at the rewritten inputs)."""
    new = replace(dataset)
    if new is not None:
        return new
    inputs = dataset._inputs()
    if not inputs:
        return dataset
    rewritten = {id(i): _rewrite(i, replace) for i in inputs}
    if all(rewritten[id(i)] is i for i in inputs):
        return dataset
    out = copy.copy(dataset)
    for name, value in vars(dataset).items():
        if id(value) in rewritten:
            setattr(out, name, rewritten[id(value)])
        elif isinstance(value, (list, tuple)) and any(id(v) in rewritten for v in value):
            setattr(out, name, type(value)(rewritten.get(id(v), v) for v in value))
    return out


def _shard_files(dataset, parts, index):
    def replace(node):
        if isinstance(node, _FileDataset):
            out = copy.copy(node)
            out._files = node._files.shard(parts, index)
            return out
        return None
    return _rewrite(dataset, replace)


def _num_files(source):
    n = source._files._cardinality()
    return None if n == UNKNOWN or n < 0 else n


def distribute_dataset(dataset, index, parts, options=None):
    """Worker `index`'s part of `dataset` as a DistributedDataset (see the module docstring).

    Example:
        dist = distribute_dataset(tf.data.Dataset.range(8).batch(4), index=1, parts=2)
        [b.numpy().tolist() for b in dist]   # [[2, 3], [6, 7]]
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"experimental_distribute_dataset expects a tf.data.Dataset, got "
                        f"{type(dataset).__name__}")
    if parts == 1:
        return DistributedDataset(dataset)
    policy = _policy(dataset)
    if policy == AutoShardPolicy.OFF:
        return DistributedDataset(dataset)
    sources = _file_sources(dataset)
    if policy in (AutoShardPolicy.FILE, AutoShardPolicy.AUTO):
        counts = [_num_files(s) for s in sources]
        enough = bool(sources) and all(c is not None and c >= parts for c in counts)
        if enough:
            return DistributedDataset(_shard_files(dataset, parts, index))
        if policy == AutoShardPolicy.FILE:
            what = "no file reader" if not sources else f"{counts} file(s)"
            raise InvalidArgumentError(
                f"AutoShardPolicy.FILE: the dataset has {what} for {parts} workers; FILE "
                "sharding gives each worker whole files. Fix: write at least one file per "
                "worker, or use AutoShardPolicy.DATA (or AUTO).")
    if _batched(dataset):
        return DistributedDataset(_SplitBatches(dataset, parts, index))
    return DistributedDataset(dataset.shard(parts, index))
