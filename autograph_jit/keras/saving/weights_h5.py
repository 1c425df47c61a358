"""`save_weights`/`load_weights` in Keras 3's `.weights.h5` layout (h5py).

Each layer's own weights (trainable first, then non-trainable, in creation order) are datasets
`0`, `1`, ... in a group `<path>/vars`; paths follow the model: `layers/<layer name>` for
Sequential and functional models, `<attribute name>` for subclassed models and layers:

    /vars                       (the model's own weights: usually none)
    /layers/dense/vars/0        (kernel)
    /layers/dense/vars/1        (bias)

Loading checks every layer's count and shapes before assigning anything, so a failed load leaves
the model unchanged.
"""
import os
import warnings

import numpy as np

from ..layers.layer import Layer
from ..layers.layer_utils import to_snake_case
from ..models.functional import Functional
from ..models.sequential import Sequential

__all__ = ["save_weights", "load_weights", "walk_weights"]

_SKIP = frozenset({"optimizer", "history", "_loss_tracker", "_compile_metrics", "_compile_loss",
                   "_output_loss_trackers", "_functions", "_input_layer"})


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving and loading `.weights.h5` files requires h5py: "
                          "`pip install h5py` (or the `keras` extra of autograph_jit).") from None
    return h5py


def _own_vars(layer):
    own = list(layer._trainable_weights) + list(layer._non_trainable_weights)
    trainable = [v for v in own if v.trainable]
    frozen = [v for v in own if not v.trainable]
    ids = {id(v) for v in own}
    extra = [v for v in layer._direct_children()[1] if id(v) not in ids]
    return trainable + frozen + extra


def _children(layer):
    """(path component, child layer) pairs, as Keras 3 walks a model."""
    if isinstance(layer, (Sequential, Functional)):
        return [(f"layers/{name}", child) for name, child in _unique_names(layer.layers)]
    out = []
    # a layer may name private attributes Keras 3 saves (it visits them after the public
    # ones: `_saved_private_children`, e.g. MultiHeadAttention's `_gate_dense`)
    private = getattr(type(layer), "_saved_private_children", ())
    for key in sorted(vars(layer), key=lambda k: (k in private, k)):
        if key in _SKIP or key.startswith("_") and key not in ("_layers", "_lookup_layer") \
                and key not in private:
            continue
        value = vars(layer)[key]
        if isinstance(value, Layer):
            out.append((key, value))
        elif isinstance(value, (list, tuple)):
            items = [v for v in value if isinstance(v, Layer)]
            out.extend((f"{key}/{name}", child) for name, child in _unique_names(items))
        elif isinstance(value, dict):
            items = [v for v in value.values() if isinstance(v, Layer)]
            out.extend((f"{key}/{name}", child) for name, child in _unique_names(items))
    return out


def _unique_names(layers):
    """Keras 3 addresses the layers of a container by class name (`dense`, `dense_1`, ...),
    not by layer name, so that two instances of one architecture match."""
    seen = {}
    for layer in layers:
        name = to_snake_case(type(layer).__name__)
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        yield name, layer


def walk_weights(model):
    """[(group path, [variables])] for every layer reachable from `model`, each once."""
    out, visited = [], set()

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        out.append((path, _own_vars(layer), layer))
        for part, child in _children(layer):
            visit(child, f"{path}/{part}" if path else part)
    visit(model, "")
    return out


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s weights to `filepath` (must end in `.weights.h5`)."""
    filepath = str(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError("The filename must end in `.weights.h5`. Received: "
                         f"filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    h5py = _h5py()
    with h5py.File(filepath, "w") as f:
        write_groups(f, model)


def write_groups(f, model):
    """Every layer's `vars` group (its `name` attribute set to the layer's name, as Keras 3
    does), then the compiled model's optimizer under `optimizer/vars`."""
    for path, variables, layer in walk_weights(model):
        group = f.require_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = layer.name
        for i, v in enumerate(variables):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "variables"):
        _write_optimizer(f, "optimizer", optimizer)


def _write_optimizer(f, path, optimizer):
    """`<path>/vars/<i>`: the optimizer's `variables`, in order (Keras 3's `save_own_variables`);
    a wrapping optimizer (LossScaleOptimizer) also writes its inner optimizer's own group, as
    Keras 3 visits it as a child."""
    group = f.require_group(f"{path}/vars")
    group.attrs["name"] = optimizer.name
    for i, v in enumerate(_keras_order(optimizer)):
        group.create_dataset(str(i), data=np.asarray(v.numpy()))
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:
        _write_optimizer(f, f"{path}/inner_optimizer", inner)


def _keras_order(optimizer):
    """The optimizer's variables in Keras 3's saved order: `optimizer.variables` itself, as
    every optimizer creates its variables in Keras 3's order (iteration, learning_rate unless
    it is a schedule, EMA averages, gradient accumulators, then the slots as that optimizer's
    Keras 3 `build` creates them)."""
    return list(optimizer.variables)


def read_optimizer(f, model):
    """Restore the compiled model's optimizer from `optimizer/vars` (building it first when the
    file holds its slots). A different variable count skips it with Keras 3's warning; a
    variable whose stored shape differs raises ValueError before anything is assigned."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or "optimizer/vars" not in f:
        return
    stored = f["optimizer/vars"]
    if not optimizer.built and len(stored) > len(optimizer.variables):
        optimizer.build(model.trainable_variables)
    variables = _keras_order(optimizer)
    values = [np.asarray(stored[str(i)]) for i in range(len(stored))]
    if len(values) != len(variables):
        msg = (f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
               f"{len(variables)} variables whereas the saved optimizer has {len(values)} "
               "variables. ")
        if not variables:
            msg += "This is likely because the optimizer has not been called/built yet."
        warnings.warn(msg, stacklevel=3)
        return
    for i, (v, value) in enumerate(zip(variables, values)):
        if tuple(v.shape.as_list()) != value.shape:
            raise ValueError(
                f"Cannot load the state of optimizer '{optimizer.name}': its variable {i} "
                f"('{v.name}') has shape {tuple(v.shape.as_list())}, but the saved value "
                f"has shape {value.shape}. The file was saved with a differently configured "
                "optimizer or model.")
    for v, value in zip(variables, values):
        v.assign(value.astype(v.dtype.np_dtype))


def load_weights(model, filepath, skip_mismatch=False):
    """Read weights written by `save_weights` (or the weights of a `.keras` file)."""
    filepath = str(filepath)
    if filepath.endswith(".keras"):
        from .keras_file import load_weights_from_keras_file
        return load_weights_from_keras_file(model, filepath, skip_mismatch)
    if not filepath.endswith(".weights.h5"):
        raise ValueError("File format not supported: filepath="
                         f"{filepath}. Keras 3 only supports V3 `.keras` and `.weights.h5` "
                         "files.")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"Unable to open file: no file at {filepath}")
    h5py = _h5py()
    with h5py.File(filepath, "r") as f:
        read_groups(f, model, skip_mismatch)
        read_optimizer(f, model)


def read_groups(f, model, skip_mismatch=False):
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built: call it on data (or `build` it) "
                         "before `load_weights`, so it has weights to load into.")
    assignments = []
    for path, variables, layer in walk_weights(model):
        key = f"{path}/vars" if path else "vars"
        stored = f[key] if key in f else None
        values = [] if stored is None else [np.asarray(stored[str(i)])
                                            for i in range(len(stored))]
        if len(values) != len(variables):
            if skip_mismatch:
                continue
            raise ValueError(f"Layer '{layer.name}' (stored at '{key}') expected "
                             f"{len(variables)} variables, but "
                             f"received {len(values)} variables during loading. Expected: "
                             f"{[v.name for v in variables]}")
        for v, value in zip(variables, values):
            if tuple(v.shape.as_list()) != value.shape:
                if skip_mismatch:
                    break
                raise ValueError(f"The shape of the target variable {v.name} of layer "
                                 f"'{layer.name}' (stored at '{key}') is "
                                 f"{tuple(v.shape.as_list())}, but the stored "
                                 f"value has shape {value.shape}. Make sure the model has the "
                                 "same architecture as the one that saved the weights.")
        else:
            assignments.extend(zip(variables, values))
    for v, value in assignments:
        v.assign(value.astype(v.dtype.np_dtype))
