"""TF Serving's REST request and response bodies: `instances` (row) and `inputs` (columnar)
predict requests checked against a signature's dtypes and shapes, `{"predictions": ...}` /
`{"outputs": ...}` responses, and the `:classify` / `:regress` formats."""
import json

import numpy as np

from ..errors import InvalidArgumentError
from .servable import dt_name

__all__ = ["parse_json", "predict_inputs", "format_predict", "examples_inputs",
           "format_classify", "format_regress"]


def parse_json(body):
    """The request body as a JSON object; InvalidArgumentError (400) otherwise."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidArgumentError(f"JSON Parse error: {e}") from None
    if not isinstance(doc, dict):
        raise InvalidArgumentError("JSON Value: the request body must be a JSON object, got "
                                   f"{type(doc).__name__}")
    return doc


def _array(value, name, dtype, dims, batched):
    """A JSON value -> NumPy array of `dtype`, checked against the signature's shape."""
    if isinstance(value, dict) and set(value) == {"b64"}:
        raise InvalidArgumentError(f"input {name!r}: b64 values are for DT_STRING inputs; this "
                                   f"input is {dt_name(dtype)}")
    try:
        raw = np.asarray(value)
    except ValueError as e:
        raise InvalidArgumentError(f"input {name!r}: the values do not form a tensor (lists of "
                                   f"different lengths?): {e}") from None
    want = np.dtype(dtype.as_numpy_dtype)
    kind = raw.dtype.kind
    ok = (kind == "b" and want.kind == "b") or \
        (kind in "iu" and want.kind in "iuf") or (kind == "f" and want.kind == "f")
    if raw.size == 0 and kind == "f":
        ok = True  # `[]` parses as float64
    if not ok:
        got = {"U": "string", "O": "mixed or null", "b": "bool", "f": "float",
               "i": "integer", "u": "integer"}.get(kind, raw.dtype.name)
        raise InvalidArgumentError(f"input {name!r}: expected values of type "
                                   f"{dt_name(dtype)}, got {got} values")
    arr = raw.astype(want, copy=False)
    if dims is not None:
        if arr.ndim != len(dims) or any(d is not None and d != s for d, s in zip(dims, arr.shape)):
            shape = [-1 if d is None else d for d in dims]
            what = "instances stacked to" if batched else "the value has"
            raise InvalidArgumentError(f"input {name!r}: expected shape {shape} (-1: any), "
                                       f"{what} shape {list(arr.shape)}")
    return arr


def predict_inputs(doc, info):
    """The predict request `doc` -> (dict name -> array, "row" | "columnar")."""
    names = info.input_names()
    specs = {n: (d, s) for n, d, s in info.inputs}
    if ("instances" in doc) == ("inputs" in doc):
        raise InvalidArgumentError("Missing 'inputs' or 'instances' key" if "inputs" not in doc
                                   else "Not both 'inputs' and 'instances' may be specified")
    unknown = set(doc) - {"instances", "inputs", "signature_name"}
    if unknown:
        raise InvalidArgumentError(f"unknown key(s) {sorted(unknown)} in the request; expected "
                                   "'signature_name' and 'instances' or 'inputs'")
    if "instances" in doc:
        rows = doc["instances"]
        if not isinstance(rows, list) or not rows:
            raise InvalidArgumentError("'instances' must be a non-empty JSON list")
        if len(names) == 1 and not isinstance(rows[0], dict):
            columns = {names[0]: rows}
        else:
            columns = {}
            for i, row in enumerate(rows):
                if not isinstance(row, dict) or set(row) != set(names):
                    raise InvalidArgumentError(
                        f"instance {i}: expected an object with the keys {names} (the "
                        f"signature's named inputs), got {json.dumps(row)[:100]}")
            columns = {n: [row[n] for row in rows] for n in names}
        return {n: _array(v, n, *specs[n], True) for n, v in columns.items()}, "row"
    value = doc["inputs"]
    if len(names) == 1 and not isinstance(value, dict):
        value = {names[0]: value}
    if not isinstance(value, dict) or set(value) != set(names):
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise InvalidArgumentError(f"'inputs' must name the signature's inputs {names}, got "
                                   f"{got}")
    return {n: _array(v, n, *specs[n], False) for n, v in value.items()}, "columnar"


def _jsonable(arr):
    return arr.tolist()


def format_predict(outputs, style, info):
    """TF Serving's response: row -> {"predictions": [...]}, columnar -> {"outputs": ...}; a
    single output is given bare, several as objects keyed by output name."""
    names = [n for n, _, _ in info.outputs if n in outputs] or list(outputs)
    if style == "columnar":
        if len(names) == 1:
            return {"outputs": _jsonable(outputs[names[0]])}
        return {"outputs": {n: _jsonable(outputs[n]) for n in names}}
    if len(names) == 1:
        return {"predictions": _jsonable(outputs[names[0]])}
    cols = {n: _jsonable(outputs[n]) for n in names}
    rows = len(cols[names[0]])
    for n in names:
        if np.ndim(outputs[n]) == 0 or len(cols[n]) != rows:
            raise InvalidArgumentError(
                f"output {n!r} has no batch dimension of size {rows}; ask with the columnar "
                "'inputs' format to get the outputs unbatched")
    return {"predictions": [{n: cols[n][i] for n in names} for i in range(rows)]}


def examples_inputs(doc, info):
    """A classify/regress request (`examples` plus optional `context`) -> signature inputs:
    each example's features (merged with `context`) name the signature's inputs."""
    examples = doc.get("examples")
    if not isinstance(examples, list) or not examples:
        raise InvalidArgumentError("'examples' must be a non-empty JSON list of objects")
    context = doc.get("context", {})
    if not isinstance(context, dict):
        raise InvalidArgumentError("'context' must be a JSON object of features")
    rows = [dict(context, **e) if isinstance(e, dict) else e for e in examples]
    names = info.input_names()
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not set(names) <= set(row):
            raise InvalidArgumentError(f"example {i}: expected features {names} (the "
                                       f"signature's inputs), got {json.dumps(row)[:100]}")
    specs = {n: (d, s) for n, d, s in info.inputs}
    return {n: _array([r[n] for r in rows], n, *specs[n], True) for n in names}


def format_classify(outputs, info):
    """`{"results": [[[label, score], ...], ...]}`: needs a `scores` output ([batch, classes]);
    labels from a `classes` output, else the class indices."""
    if "scores" not in outputs:
        raise InvalidArgumentError(
            f"signature {info.name!r} cannot classify: :classify needs an output named 'scores' "
            f"(and optionally 'classes'); its outputs are {[n for n, _, _ in info.outputs]}. "
            "Use :predict, or save a signature returning {'scores': ..., 'classes': ...}")
    scores = np.asarray(outputs["scores"])
    if scores.ndim == 1:
        scores = scores[:, None]
    classes = outputs.get("classes")
    if classes is None:
        classes = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    classes = np.asarray(classes)
    results = [[[_label(c), float(s)] for c, s in zip(crow, srow)]
               for crow, srow in zip(classes, scores)]
    return {"results": results}


def _label(c):
    c = c.item() if hasattr(c, "item") else c
    return c.decode() if isinstance(c, bytes) else str(c)


def format_regress(outputs, info):
    """`{"results": [value, ...]}`: needs one output (or one named 'outputs') with one value per
    example."""
    name = "outputs" if "outputs" in outputs else (next(iter(outputs)) if len(outputs) == 1
                                                   else None)
    value = None if name is None else np.asarray(outputs[name])
    if value is None or value.ndim == 0 or value.size != value.shape[0]:
        raise InvalidArgumentError(
            f"signature {info.name!r} cannot regress: :regress needs a single output (or one "
            "named 'outputs') with one value per example; its outputs are "
            f"{[(n, s) for n, _, s in info.outputs]}. Use :predict instead")
    return {"results": [float(v) for v in value.reshape(-1)]}
