"""Model outputs as DataFrame columns, shared by the engine adapters (dask.py, spark.py): which
columns a signature's outputs become, and one pandas frame scored with `predict_fn`."""
import numpy as np

from ..errors import InvalidArgumentError
from .predict import predict_fn

__all__ = ["output_columns", "score_frame"]


def output_columns(export_dir, signature="serving_default"):
    """The output DataFrame's columns as (column, output name, index or None, NumPy dtype): an
    output of shape [batch] or [batch, 1] is one column named after it; [batch, k] gives k
    columns `name_0` ... `name_{k-1}`.

    Example:
        output_columns("/models/mlp/1")  # [("output_0_0", "output_0", 0, float32), ...]
    """
    predictor = predict_fn(export_dir, signature)
    cols = []
    for name, dtype, dims in predictor.info.outputs:
        np_dtype = np.dtype(dtype.as_numpy_dtype)
        if dims is None or len(dims) > 2 or (len(dims) == 2 and dims[1] is None):
            raise InvalidArgumentError(
                f"predict_partitions: output {name!r} has shape {dims}; only outputs of shape "
                "[batch] or [batch, k] with a known k map to DataFrame columns")
        if len(dims) == 1 or dims[1] == 1:
            cols.append((name, name, None, np_dtype))
        else:
            cols.extend((f"{name}_{j}", name, j, np_dtype) for j in range(dims[1]))
    return cols


def score_frame(df, export_dir, signature, columns, batch_size):
    """The outputs for the rows of pandas frame `df` (`columns`: the features) as a
    frame with `output_columns`' columns and `df`'s index."""
    import pandas as pd
    predictor = predict_fn(export_dir, signature, batch_size=batch_size)
    spec = output_columns(export_dir, signature)
    if len(df) == 0:
        return pd.DataFrame({c: np.empty(0, d) for c, _, _, d in spec}, index=df.index)
    data = df[columns] if columns is not None else df
    out = predictor(data)
    if not isinstance(out, dict):
        out = {predictor.output_names[0]: out}
    result = {}
    for column, name, j, _ in spec:
        value = np.asarray(out[name])
        result[column] = value.reshape(len(df), -1)[:, 0] if j is None else value[:, j]
    return pd.DataFrame(result, index=df.index)
