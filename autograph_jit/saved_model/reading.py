"""Reading an export directory defensively: every way a SavedModel folder can be damaged becomes
one clear TF error naming the file and what is wrong in it.

    missing folder or saved_model.json        OSError (as TF: "SavedModel file does not exist")
    saved_model.json not JSON, truncated      tf.errors.DataLossError
    saved_model.json of another format        tf.errors.InvalidArgumentError (a ValueError)
    missing keys, wrong types, bad indices    tf.errors.DataLossError (the key path is named)
    variables.npz missing                     tf.errors.NotFoundError
    variables.npz truncated / not an npz      tf.errors.DataLossError
    a variable missing or of another shape    tf.errors.DataLossError
    an op this version does not define        tf.errors.NotFoundError
    a graph that fails verification           tf.errors.DataLossError

Never a KeyError, IndexError, BadZipFile, or a VerificationError blaming the optimizer.
"""
import binascii
import json
import os
import zipfile
import zlib

import numpy as np

from ..errors import DataLossError, InvalidArgumentError, NotFoundError, VerificationError
from ..ir.verifier import verify
from ..ops.opdef import REGISTRY

JSON_NAME = "saved_model.json"
NPZ_NAME = "variables.npz"
# what decoding a malformed structure raises, turned into DataLossError with the place named
_MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, binascii.Error,
              OverflowError)


def read_meta(export_dir, fmt, version):
    """The parsed saved_model.json of `export_dir`, checked for format, version and top keys."""
    path = os.path.join(export_dir, JSON_NAME)
    try:
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        raise OSError(f"SavedModel file does not exist at: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataLossError(f"{path} is not a valid SavedModel file: it is not JSON ({e}); the "
                            "file is damaged or truncated. Save the model again.") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise InvalidArgumentError(f"{path} was not written by autograph_jit.saved_model.save "
                                   f"(expected \"format\": {fmt!r})")
    if meta.get("version") != version:
        raise InvalidArgumentError(f"{path} has format version {meta.get('version')!r}; this "
                                   f"autograph_jit reads version {version}")
    for key, kind in (("variables", list), ("functions", dict), ("root", dict)):
        if not isinstance(meta.get(key), kind):
            what = "is missing" if key not in meta else f"is a {type(meta[key]).__name__}"
            raise DataLossError(f"{path}: the key {key!r} {what} (expected a "
                                f"{kind.__name__}); the file is damaged. Save the model again.")
    if not isinstance(meta.get("signatures", {}), dict):
        raise DataLossError(f"{path}: 'signatures' is not an object; the file is damaged.")
    return meta


def read_arrays(export_dir):
    """{key: ndarray} from variables.npz."""
    path = os.path.join(export_dir, NPZ_NAME)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise NotFoundError(f"{path} is missing: a SavedModel folder holds saved_model.json and "
                            f"{NPZ_NAME} (the variable values). Copy the whole folder.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError) as e:
        raise DataLossError(f"{path} is damaged or truncated ({type(e).__name__}: {e}); it "
                            "does not hold readable arrays. Save the model again.") from None


def variable_records(meta, arrays, export_dir):
    """[(key, name, value, trainable, dtype)] for meta's variables, each checked against the
    arrays read: present, and of the recorded dtype and shape."""
    json_path = os.path.join(export_dir, JSON_NAME)
    npz_path = os.path.join(export_dir, NPZ_NAME)
    out = []
    for k, v in enumerate(meta["variables"]):
        where = f"{json_path}: variables[{k}]"
        try:
            key, name, dtype = str(v["key"]), str(v["name"]), str(v["dtype"])
            trainable = bool(v["trainable"])
            shape = v.get("shape")
            shape = None if shape is None else tuple(int(d) for d in shape)
            np.dtype(dtype)
        except _MALFORMED as e:
            raise DataLossError(f"{where} is malformed ({_describe(e)}); the file is "
                                "damaged.") from None
        if key not in arrays:
            raise DataLossError(f"{npz_path} has no array {key!r} for variable {name!r} "
                                "(recorded in saved_model.json); the file is damaged or belongs "
                                "to another model.")
        value = arrays[key]
        if shape is not None and tuple(value.shape) != shape:
            raise DataLossError(f"{npz_path}: variable {name!r} ({key}) has shape "
                                f"{list(value.shape)} but saved_model.json records "
                                f"{list(shape)}; the files do not belong together.")
        if value.dtype != np.dtype(dtype):
            raise DataLossError(f"{npz_path}: variable {name!r} ({key}) has dtype "
                                f"{value.dtype} but saved_model.json records {dtype}.")
        out.append((key, name[:-2] if name.endswith(":0") else name, value, trainable, dtype))
    return out


def decode_function(export_dir, name, k, record, decode):
    """decode(record) for concrete function `k` of saved function `name`, with what can go
    wrong turned into errors naming the place; its graph is verified."""
    where = f"{os.path.join(export_dir, JSON_NAME)}: function {name!r} (concrete function {k})"
    unknown = _unknown_op(record, REGISTRY)
    if unknown is not None:
        raise NotFoundError(f"{where} uses op {unknown!r}, which this version of autograph_jit "
                            "does not define. Load it with the version that saved it.")
    try:
        cf = decode(record)
    except VerificationError as e:
        raise DataLossError(f"{where}: the saved graph is invalid: {e}. The file is "
                            "damaged.") from None
    except _MALFORMED as e:
        raise DataLossError(f"{where} is malformed ({_describe(e)}); the file is "
                            "damaged.") from None
    try:
        verify(cf.graph)
    except VerificationError as e:
        raise DataLossError(f"{where}: the saved graph is invalid: {e}. The file is damaged "
                            "(it was edited, or written by another version).") from None
    return cf


def lookup(table, key, what, export_dir):
    """table[key], or a DataLossError naming the dangling reference."""
    try:
        return table[key]
    except (KeyError, TypeError):
        raise DataLossError(f"{os.path.join(export_dir, JSON_NAME)}: {what} refers to "
                            f"{key!r}, which the file does not define; the file is "
                            "damaged.") from None


def malformed(export_dir, where, error):
    """The DataLossError for a malformed part of saved_model.json."""
    return DataLossError(f"{os.path.join(export_dir, JSON_NAME)}: {where} is malformed "
                         f"({_describe(error)}); the file is damaged.")


def _unknown_op(record, registry):
    """The first op name in `record`'s graphs (regions included) that is not registered."""
    stack = [record.get("graph") if isinstance(record, dict) else None]
    while stack:
        g = stack.pop()
        if isinstance(g, dict):
            if "op" in g and isinstance(g["op"], str) and g["op"] not in registry:
                return g["op"]
            stack.extend(g.values())
        elif isinstance(g, list):
            stack.extend(g)
    return None


def _describe(error):
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}" if error.args else "a missing key"
    if isinstance(error, IndexError):
        return "an index out of range"
    return f"{type(error).__name__}: {error}"
