"""Batch inference on data engines: `predict_fn(export_dir)` loads a SavedModel once per
process and predicts on arrays, dicts or pandas DataFrames in padded, bucketed chunks so that
native code is compiled once per bucket; `dask.predict_partitions` maps it over a dask
DataFrame. (Spark and Ray adapters are not written yet.)"""
from .predict import BatchPredictor, predict_fn

__all__ = ["predict_fn", "BatchPredictor"]
