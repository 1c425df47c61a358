"""`tf.data`: input pipelines (`tf.data.Dataset`) whose map functions are traced with
tf.function and run compiled, with map-batch fusion and background prefetch.

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32).prefetch(tf.data.AUTOTUNE)
    for xb, yb in ds: ...

How it runs (see each module):
- elements move through the pipeline as flat tuples of NumPy arrays (structure.py); users see
  tensors. `tf.string` components are NumPy object arrays of bytes (users see EagerTensors of
  dtype tf.string).
- `map`/`filter`/`scan`/... functions are traced once with tf.function and called compiled per
  element (mapfn.py); functions over string components run eagerly (no string graph tensors).
- `map(f).batch(n)` runs `f` once per batch when its graph is provably row-wise (mapfn.py);
  `tf.data.Options().experimental_optimization.map_and_batch_fusion = False` turns that off.
- `num_parallel_calls` maps on a thread pool (input order kept); `prefetch` and parallel
  `interleave` read ahead on daemon threads.
- inside tf.function, `for x in ds` is one graph loop over the epoch that a host op reads when
  the function runs, and `next(it)` of an outside iterator is a host op (graph_loop.py).
"""
from .dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from .iterator import OwnedIterator as Iterator
from .options import AutoShardPolicy, Options, ThreadingOptions
from .structure import DatasetSpec
from .readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset
from . import experimental
from .graph_loop import claims as _claims, dataset_plan as _dataset_plan
from ..autograph.operators import loops as _loops

_loops.ITERATION_PLANS.append(_dataset_plan)
_loops.ITERATION_CLAIMS.append(_claims)

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

__all__ = ["Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Options",
           "ThreadingOptions", "AutoShardPolicy", "Iterator", "DatasetSpec", "TextLineDataset",
           "TFRecordDataset", "FixedLengthRecordDataset", "experimental"]
