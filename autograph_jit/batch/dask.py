"""The Dask adapter: score a dask DataFrame with a SavedModel, partition by partition, on the
workers (`ddf.map_partitions`); each worker process loads the model once (`predict_fn`).

Needs the `[dask]` extra (`dask[dataframe]`, and `distributed` for a cluster).
"""
import numpy as np

from .frames import output_columns, score_frame

__all__ = ["predict_partitions", "output_columns"]


def predict_partitions(ddf, export_dir, columns=None, signature="serving_default",
                       batch_size=1024):
    """A dask DataFrame of the model's outputs for every row of `ddf` (same index/partitions).

    Args:
      ddf: a dask DataFrame; `columns` (default: all) are the features: the single input's
        features in order, or columns named after the signature's inputs.
      export_dir: a SavedModel folder readable from every worker.

    Example:
        scores = predict_partitions(ddf, "/models/mlp/1", columns=["a", "b", "c", "d"])
        scores.compute()
    """
    import pandas as pd
    spec = output_columns(export_dir, signature)
    meta = pd.DataFrame({c: np.empty(0, d) for c, _, _, d in spec})
    return ddf.map_partitions(score_frame, export_dir, signature, columns, batch_size, meta=meta)
