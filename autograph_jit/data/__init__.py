"""`tf.data`: input pipelines (`tf.data.Dataset`) whose map functions are traced with
tf.function and run compiled, with map-batch fusion and background prefetch.

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32).prefetch(tf.data.AUTOTUNE)
    for xb, yb in ds: ...
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
