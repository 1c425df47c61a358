"""`predict_fn(export_dir)`: batch inference on a SavedModel signature for data engines (Dask,
Spark, Ray workers): the model is loaded once per process, its native code compiled once per
bucketed shape, and ragged input stays on native code by padding.

A signature with an unknown batch dim compiles to one executable for every batch size where the
graph allows it (codegen/llvm/symdim.py); otherwise the CPU backend compiles one executable per
input shape (codegen/llvm/variants.py). Engines hand over partitions of any length and rows of
any length, so a predictor bounds the shapes it compiles: it splits the rows into chunks of
`batch_size`, pads a shorter last chunk up to one of at most 7 bucket sizes (`batch_size`,
`batch_size/2`, ...), pads variable-length rows to the signature's fixed length or to the next
power of two, and slices the padding off the outputs. Padding copies the chunk's first row, as TF Serving's batching does;
models must treat rows independently (any per-row model does).
"""
import os
import threading

import numpy as np

from ..errors import InvalidArgumentError
from ..config import threading as tf_threading
from ..saved_model import load
from ..serving.servable import SignatureInfo
from ..tensor import convert_to_tensor

__all__ = ["predict_fn", "BatchPredictor"]

_CACHE = {}
_CACHE_LOCK = threading.Lock()
_BUCKETS = 7


class BatchPredictor:
    """A loaded signature ready for batch inference: `predictor(data)` -> outputs.

    `data`: an array (single-input signatures), a dict name -> array (or list of rows, ragged
    allowed), or a pandas DataFrame (columns named after inputs, or, for a single input, all
    columns stacked as features). Returns an array for a single output, else a dict.

    Example:
        predict = predict_fn("/models/mlp/1", batch_size=256)
        y = predict(np.random.rand(1000, 4).astype("float32"))
    """

    def __init__(self, export_dir, signature="serving_default", batch_size=1024, pad_value=0):
        self.export_dir = export_dir
        loaded = load(export_dir)
        if signature not in loaded.signatures:
            known = ", ".join(sorted(loaded.signatures)) or "none"
            raise InvalidArgumentError(f"predict_fn: {export_dir} has no signature "
                                       f"{signature!r} (signatures: {known})")
        self.info = SignatureInfo(signature, loaded.signatures[signature])
        if self.info.nested:
            raise InvalidArgumentError(f"predict_fn: signature {signature!r} takes nested "
                                       "inputs; batch inference needs named tensor inputs")
        self._loaded = loaded
        fixed = {s[0] for _, _, s in self.info.inputs if s}
        fixed_batch = len(fixed) == 1 and None not in fixed
        if fixed_batch:  # a traced signature with a fixed batch size: every chunk padded to it
            batch_size = fixed.pop()
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidArgumentError(f"predict_fn: batch_size must be a positive integer, "
                                       f"got {batch_size!r}")
        self.batch_size = batch_size
        self.buckets = [batch_size] if fixed_batch else \
            sorted({max(1, batch_size >> k) for k in range(_BUCKETS)})
        self.pad_value = pad_value
        self.input_names = self.info.input_names()
        self.output_names = [n for n, _, _ in self.info.outputs]

    @property
    def concrete_function(self):
        return self.info.concrete_function

    def compiled_shapes(self):
        """The input shapes compiled to native code so far."""
        cpu = self.concrete_function._cpu
        return [] if cpu is None else [k for k, v in cpu._plans.items()
                                       if v != cpu._interpret]

    def fallbacks(self):
        """Reasons any part ran on the interpreter (empty: everything native)."""
        cpu = self.concrete_function._cpu
        return [] if cpu is None else [reason for _, reason in cpu.fallbacks]

    def __call__(self, data):
        columns = self._columns(data)
        n = len(next(iter(columns.values())))
        if any(len(v) != n for v in columns.values()):
            raise InvalidArgumentError("predict_fn: inputs have different numbers of rows: "
                                       + ", ".join(f"{k}: {len(v)}" for k, v in columns.items()))
        if n == 0:
            raise InvalidArgumentError("predict_fn: no rows to predict")
        parts = []
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            parts.append(self._chunk({k: v[start:stop] for k, v in columns.items()},
                                     stop - start))
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        return out[self.output_names[0]] if len(out) == 1 else out

    def _chunk(self, columns, rows):
        target = next(b for b in self.buckets if b >= rows)
        arrays = []
        for name, dtype, dims in self.info.inputs:
            arr = _rectangular(columns[name], name, dims, self.pad_value,
                               np.dtype(dtype.as_numpy_dtype))
            if target > rows:
                arr = np.concatenate([arr, np.repeat(arr[:1], target - rows, axis=0)])
            arrays.append(arr)
        tensors = [convert_to_tensor(a, d) for a, (_, d, _) in zip(arrays, self.info.inputs)]
        out = self.info.call(*tensors)
        result = {}
        for k, v in out.items():
            v = np.asarray(v.numpy())
            if v.ndim == 0 or v.shape[0] != target:
                raise InvalidArgumentError(f"predict_fn: output {k!r} of shape {v.shape} is not "
                                           "batched along dimension 0")
            result[k] = v[:rows]
        return result

    def _columns(self, data):
        names = self.input_names
        if hasattr(data, "columns") and hasattr(data, "to_numpy"):   # a pandas DataFrame
            cols = list(data.columns)
            if set(names) <= set(map(str, cols)):
                return {n: _column_values(data[n]) for n in names}
            if len(names) == 1:
                return {names[0]: data.to_numpy()}
            raise InvalidArgumentError(f"predict_fn: the DataFrame's columns {cols} do not "
                                       f"name the signature's inputs {names}")
        if isinstance(data, dict):
            missing = [n for n in names if n not in data]
            if missing:
                raise InvalidArgumentError(f"predict_fn: missing input(s) {missing}; the "
                                           f"signature takes {names}")
            return {n: data[n] for n in names}
        if len(names) != 1:
            raise InvalidArgumentError(f"predict_fn: the signature takes {names}; pass a dict "
                                       "or a DataFrame with these names")
        return {names[0]: data}


def _column_values(series):
    values = series.to_numpy()
    if values.dtype == object:   # a column of arrays or lists (possibly ragged)
        return list(values)
    return values


def _rectangular(rows, name, dims, pad_value, dtype):
    """Rows -> one array; rows of different lengths are padded (to the signature's fixed
    length, else the next power of two) so that recurring shapes stay compiled."""
    if isinstance(rows, np.ndarray) and rows.dtype != object:
        arr = rows
    else:
        items = [np.asarray(r) for r in rows]
        shapes = {i.shape for i in items}
        if len(shapes) == 1:
            arr = np.stack(items)
        else:
            ranks = {len(s) for s in shapes}
            if len(ranks) != 1:
                raise InvalidArgumentError(f"predict_fn: rows of input {name!r} have different "
                                           f"ranks {sorted(ranks)}")
            longest = np.max([i.shape for i in items], axis=0)
            full = []
            for k, size in enumerate(longest):
                fixed = None if dims is None or len(dims) != len(longest) + 1 else dims[k + 1]
                if fixed is not None and size > fixed:
                    raise InvalidArgumentError(f"predict_fn: a row of input {name!r} has length "
                                               f"{size} in dimension {k + 1}; the signature "
                                               f"allows {fixed}")
                full.append(fixed if fixed is not None else 1 << max(0, int(size - 1).bit_length()))
            arr = np.full([len(items)] + full, pad_value, dtype=dtype)
            for j, item in enumerate(items):
                arr[(j,) + tuple(slice(0, s) for s in item.shape)] = item
    try:
        arr = np.asarray(arr).astype(dtype, copy=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"predict_fn: input {name!r} cannot be converted to "
                                   f"{dtype}: {e}") from None
    if dims is not None and (arr.ndim != len(dims) or any(
            d is not None and d != s for d, s in zip(dims[1:], arr.shape[1:]))):
        raise InvalidArgumentError(f"predict_fn: input {name!r} has shape {list(arr.shape)}; the "
                                   f"signature expects {[-1 if d is None else d for d in dims]}")
    return arr


def predict_fn(export_dir, signature="serving_default", batch_size=1024, num_threads=None,
               pad_value=0):
    """A BatchPredictor for `export_dir`'s `signature`, loaded once per process.

    Args:
      export_dir: a SavedModel folder (tf.saved_model.save's output).
      signature: the signature to run (default "serving_default").
      batch_size: rows per native call; a shorter last chunk is padded to a bucket size.
      num_threads: intra-op threads; None: $OMP_NUM_THREADS when set (Spark sets it to the
        task's CPUs), else the library's default.
      pad_value: the value padding variable-length rows.

    Example:
        predict = autograph_jit.batch.predict_fn("/models/mlp/1")
        ddf["score"] = ddf.map_partitions(lambda df: predict(df[["a", "b"]])[:, 0])
    """
    if num_threads is None and os.environ.get("OMP_NUM_THREADS", "").isdigit():
        num_threads = int(os.environ["OMP_NUM_THREADS"])
    if num_threads is not None:
        tf_threading.set_intra_op_parallelism_threads(int(num_threads))
    key = (os.getpid(), os.path.realpath(export_dir), signature, batch_size, pad_value)
    with _CACHE_LOCK:
        predictor = _CACHE.get(key)
        if predictor is None:
            predictor = _CACHE[key] = BatchPredictor(export_dir, signature, batch_size,
                                                     pad_value)
    return predictor
