"""The Spark adapters: score a Spark DataFrame with a SavedModel in plain Python on each
executor (as the courses suggest: load the model with Python on each executor and predict).
Each executor's Python worker loads the model once (`predict_fn`) and compiles once per bucket.

- `predict_batch_udf(export_dir)`: a pandas UDF made with `pyspark.ml.functions.
  predict_batch_udf`; call it on the feature columns (`struct("a", "b")` stacks scalar columns
  into one input; several columns map to the signature's named inputs in order).
- `predict_map_in_pandas(df, export_dir)`: `df.mapInPandas` producing one column per output
  value (outputs of shape [batch, k] become k columns, as in the Dask adapter).

Needs the `[spark]` extra (pyspark; Spark itself needs Java 17+).
"""
import numpy as np

from ..errors import InvalidArgumentError
from .frames import output_columns, score_frame
from .predict import predict_fn

__all__ = ["predict_batch_udf", "predict_map_in_pandas", "spark_type"]


def spark_type(np_dtype):
    """The Spark SQL type of a NumPy dtype (float32 -> FloatType, int64 -> LongType, ...)."""
    from pyspark.sql import types as T
    table = {np.dtype(np.float32): T.FloatType(), np.dtype(np.float64): T.DoubleType(),
             np.dtype(np.int32): T.IntegerType(), np.dtype(np.int64): T.LongType(),
             np.dtype(np.int16): T.ShortType(), np.dtype(np.int8): T.ByteType(),
             np.dtype(np.bool_): T.BooleanType()}
    try:
        return table[np.dtype(np_dtype)]
    except KeyError:
        raise InvalidArgumentError(f"spark: outputs of dtype {np.dtype(np_dtype)} have no Spark "
                                   "SQL type here; cast them in the signature") from None


def _return_type(predictor):
    from pyspark.sql import types as T
    fields = []
    for name, dtype, dims in predictor.info.outputs:
        base = spark_type(dtype.as_numpy_dtype)
        if dims is None or len(dims) > 2:
            raise InvalidArgumentError(f"predict_batch_udf: output {name!r} has shape {dims}; "
                                       "only [batch] and [batch, k] outputs map to Spark columns")
        flat = len(dims) == 1 or dims[1] == 1
        fields.append((name, base if flat else T.ArrayType(base), flat))
    if len(fields) == 1:
        return fields[0][1], fields
    return T.StructType([T.StructField(n, t) for n, t, _ in fields]), fields


def _make_predict(export_dir, signature, batch_size):
    def make():   # runs once per executor Python worker
        predictor = predict_fn(export_dir, signature, batch_size=batch_size)
        names = predictor.input_names
        _, fields = _return_type(predictor)

        def predict(*arrays):
            if len(arrays) == 1 and len(names) == 1:
                data = arrays[0]
            elif len(arrays) == len(names):
                data = dict(zip(names, arrays))
            else:
                raise InvalidArgumentError(
                    f"predict_batch_udf: called with {len(arrays)} column(s) for the inputs "
                    f"{names}. Fix: pass one column per input, or struct(...) of the features "
                    "of a single input.")
            out = predictor(data)
            if not isinstance(out, dict):
                out = {predictor.output_names[0]: out}
            result = {n: np.asarray(out[n]).reshape(len(out[n]), -1)[:, 0] if flat
                      else np.asarray(out[n]) for n, _, flat in fields}
            return result[fields[0][0]] if len(fields) == 1 else result
        return predict
    return make


def predict_batch_udf(export_dir, signature="serving_default", batch_size=1024):
    """A Spark pandas UDF scoring rows with `export_dir`'s `signature`.

    Args:
      export_dir: a SavedModel folder readable from every executor.
      signature: the signature to run.
      batch_size: rows per call to the model.

    Returns:
      A UDF: a column of the output (a scalar for [batch]/[batch, 1] outputs, an array for
      [batch, k]); a struct of them for several outputs.

    Example:
        score = predict_batch_udf("/models/mlp/1")
        df.withColumn("score", score(struct("a", "b", "c")))
    """
    from pyspark.ml.functions import predict_batch_udf as spark_udf
    return_type, _ = _return_type(predict_fn(export_dir, signature, batch_size=batch_size))
    return spark_udf(_make_predict(export_dir, signature, batch_size),
                     return_type=return_type, batch_size=batch_size)


def predict_map_in_pandas(df, export_dir, columns=None, signature="serving_default",
                          batch_size=1024, keep=()):
    """A Spark DataFrame of the model's outputs for every row of `df` (`df.mapInPandas`).

    Args:
      df: a Spark DataFrame; `columns` (default: all but `keep`) are the features: the single
        input's features in order, or columns named after the signature's inputs.
      export_dir: a SavedModel folder readable from every executor.
      keep: columns of `df` copied to the output first (an id, to join the scores back).

    Example:
        scores = predict_map_in_pandas(df, "/models/mlp/1", keep=["id"])
    """
    from pyspark.sql import types as T
    keep = list(keep)
    features = list(columns) if columns is not None else \
        [c for c in df.columns if c not in keep]
    spec = output_columns(export_dir, signature)
    schema = T.StructType([df.schema[c] for c in keep] +
                          [T.StructField(c, spark_type(d)) for c, _, _, d in spec])

    def score(frames):
        for frame in frames:
            out = score_frame(frame, export_dir, signature, features, batch_size)
            for i, c in enumerate(keep):
                out.insert(i, c, frame[c].to_numpy())
            yield out
    return df.mapInPandas(score, schema)
