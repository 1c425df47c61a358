"""`.keras` model files (Keras 3's format): a zip holding `config.json` (the serialized model
with its compile config), `metadata.json` (versions, date) and `model.weights.h5` (the weights
in the `.weights.h5` layout, plus the optimizer's variables under `optimizer/vars`), and
`assets/<layer path>/...` for layers with `save_assets(dir)` / `load_assets(dir)` (the learned
vocabularies of StringLookup, IntegerLookup, TextVectorization: `vocabulary.txt`)."""
import datetime
import io
import json
import os
import tempfile
import zipfile

from .serialization import (deserialize_keras_object, normalize_config, serialize_keras_object,
                            _tuples)
from .weights_h5 import _h5py, read_groups, read_optimizer, walk_weights, write_groups
from ..models.model import _json_default

__all__ = ["save_model", "load_model", "load_weights_from_keras_file"]

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"
KERAS_VERSION = "3.15.1"


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write `model` to `filepath` (must end in `.keras`)."""
    filepath = str(filepath)
    if kwargs.pop("save_format", None) not in (None, "keras"):
        raise ValueError("autograph_jit saves whole models only in the Keras 3 `.keras` format.")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if not filepath.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add the `.keras` "
                         f"extension (Keras 3's format). Received: filepath={filepath}. For "
                         "weights only, use `model.save_weights(\"name.weights.h5\")`.")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    config = json.dumps(serialize_keras_object(model), default=_json_default)
    metadata = json.dumps({"keras_version": KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write_groups(f, model)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(_METADATA, metadata)
        z.writestr(_CONFIG, config)
        z.writestr(_WEIGHTS, buffer.getvalue())
        _write_assets(z, model)


def _write_assets(z, model):
    """Each layer's `save_assets(dir)` files as `assets/<layer path>/<file>` (Keras 3's)."""
    for path, _, layer in walk_weights(model):
        if not hasattr(layer, "save_assets"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            layer.save_assets(folder)
            for name in sorted(os.listdir(folder)):
                z.write(os.path.join(folder, name), f"assets/{path}/{name}")


def _read_assets(z, model):
    """Hand each layer with `load_assets(dir)` the files stored under its assets path."""
    names = z.namelist()
    for path, _, layer in walk_weights(model):
        prefix = f"assets/{path}/"
        files = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]]
        if not files or not hasattr(layer, "load_assets"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            for name in files:
                with open(os.path.join(folder, name[len(prefix):]), "wb") as f:
                    f.write(z.read(name))
            layer.load_assets(folder)


def _open(filepath):
    filepath = str(filepath)
    if not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 only "
                         "supports V3 `.keras` files and legacy H5 format files (`.h5` "
                         "extension); autograph_jit reads `.keras` files.")
    return zipfile.ZipFile(filepath, "r")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """The model stored in a `.keras` file (compiled as saved unless `compile=False`)."""
    with _open(filepath) as z:
        config = normalize_config(json.loads(z.read(_CONFIG)))
        weights = z.read(_WEIGHTS)
        if not compile:
            config.pop("compile_config", None)
        model = deserialize_keras_object(config, custom_objects=custom_objects, compile=compile,
                                         safe_mode=safe_mode)
        _read_assets(z, model)
    h5py = _h5py()
    with h5py.File(io.BytesIO(weights), "r") as f:
        if not model.built:
            _build_from_config(model, config)
        read_groups(f, model)
        if compile:
            read_optimizer(f, model)
    return model


def _build_from_config(model, config):
    build = config.get("build_config") or {}
    shape = build.get("input_shape")
    if shape is not None:
        model.build(_tuples(shape))


def load_weights_from_keras_file(model, filepath, skip_mismatch=False):
    with _open(filepath) as z:
        weights = z.read(_WEIGHTS)
    h5py = _h5py()
    with h5py.File(io.BytesIO(weights), "r") as f:
        read_groups(f, model, skip_mismatch)
