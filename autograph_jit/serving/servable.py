"""One loaded model version (TF Serving's "servable"): its signatures' input/output specs, the
metadata JSON of `GET /v1/models/<name>/metadata`, and running a signature on NumPy inputs."""
import numpy as np

from .. import nest, saved_model
from ..dtypes import DATATYPE_ENUM_NAMES
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..tensor import convert_to_tensor
from ..tracing.concrete import _LEAF

__all__ = ["Servable", "SignatureInfo"]


class SignatureInfo:
    """A signature's flat inputs and outputs: `inputs`/`outputs` are lists of
    `(name, dtype, shape)` with shape a list (None = unknown dimension)."""

    def __init__(self, name, signature):
        cf = signature.concrete_function
        self.name = name
        self.signature = signature
        self.concrete_function = cf
        params = cf.graph.data_params
        names = list(signature._arg_names)
        self._structure = None
        if len(names) != len(params) or len(set(names)) != len(names):   # nested (a dict)
            self._structure, names = _structured_names(cf, signature._arg_names)
        self.nested = len(names) != len(params) or len(set(names)) != len(names)
        self.inputs = [(n, p.type.dtype, _dims(p.type.shape)) for n, p in zip(names, params)]
        it = iter(cf.graph.data_results)
        typed = nest.map_structure(lambda x: next(it).type if x is _LEAF else None,
                                   cf._output_structure)
        if isinstance(typed, dict):
            items = [(k, v) for k, v in typed.items() if v is not None]
        else:
            items = [(f"output_{i}", t) for i, t in enumerate(nest.flatten(typed))
                     if t is not None]
        self.outputs = [(n, t.dtype, _dims(t.shape)) for n, t in items]

    def input_names(self):
        return [n for n, _, _ in self.inputs]

    def call(self, *tensors):
        """Run the signature on its flat input tensors (in `inputs` order); a dict of outputs."""
        if self._structure is None:
            return self.signature(*tensors)
        args = nest.pack_sequence_as(self._structure, list(tensors))
        out = self.concrete_function(*args)
        if isinstance(out, dict):
            return out
        return {f"output_{i}": t for i, t in enumerate(nest.flatten(out))}


def _structured_names(cf, arg_names):
    """(argument structure, flat input names) of a signature taking nested arguments: a single
    dict argument's inputs are named by its keys (as TF names them); deeper or several nested
    arguments by their paths joined with "_" (`feats_a`, `pair_0`)."""
    spec_args = list(cf.structured_input_signature[0])
    arg_names = list(dict.fromkeys(arg_names))
    if len(arg_names) != len(spec_args):
        arg_names = [f"arg_{i}" for i in range(len(spec_args))]
    names = []

    def walk(value, path):
        if isinstance(value, dict):
            for k in sorted(value):
                walk(value[k], path + [str(k)])
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, path + [str(i)])
        else:
            names.append("_".join(path))
    if len(spec_args) == 1 and isinstance(spec_args[0], dict):
        walk(spec_args[0], [])
    else:
        for name, value in zip(arg_names, spec_args):
            walk(value, [name])
    return spec_args, names


def _dims(shape):
    return None if shape.rank is None else list(shape.as_tuple())


def dt_name(dtype):
    """TF's DataType enum name of a dtype (`tf.float32` -> "DT_FLOAT")."""
    return DATATYPE_ENUM_NAMES[dtype.as_datatype_enum]


def _tensor_info(sig_name, name, dtype, dims, is_input):
    if dims is None:
        shape = {"dim": [], "unknown_rank": True}
    else:
        shape = {"dim": [{"size": str(-1 if d is None else d), "name": ""} for d in dims],
                 "unknown_rank": False}
    tensor = f"{sig_name}_{name}:0" if is_input else f"StatefulPartitionedCall:{name}"
    return {"dtype": dt_name(dtype), "tensor_shape": shape, "name": tensor}


class Servable:
    """A SavedModel version loaded with `tf.saved_model.load`, ready to serve.

    Example:
        s = Servable("half_plus_two", 1, "/models/half_plus_two/1")
        s.run("serving_default", {"x": np.ones((2, 3), np.float32)})
    """

    def __init__(self, name, version, path):
        self.name = name
        self.version = int(version)
        self.path = path
        self.loaded = saved_model.load(path)
        self.signatures = {k: SignatureInfo(k, s) for k, s in self.loaded.signatures.items()}

    def signature(self, name):
        """The SignatureInfo for `name` (`""`/None: serving_default); 400 when unknown."""
        name = name or "serving_default"
        info = self.signatures.get(name)
        if info is None:
            known = ", ".join(sorted(self.signatures)) or "none: the model was saved without "\
                "signatures (save a tf.function __call__ with an input_signature)"
            raise InvalidArgumentError(f'Serving signature name: "{name}" not found in '
                                       f"signature def (signatures: {known})")
        if info.nested:
            raise FailedPreconditionError(f"signature {name!r} takes nested inputs; the REST "
                                          "API serves signatures of named tensors only")
        return info

    def run(self, signature_name, inputs):
        """Run a signature on a dict name -> NumPy array; returns a dict name -> NumPy array."""
        info = self.signature(signature_name)
        args = [convert_to_tensor(inputs[n], d) for n, d, _ in info.inputs]
        out = info.call(*args)
        return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in out.items()}

    def metadata(self):
        """TF Serving's `GetModelMetadata` response for this version."""
        defs = {}
        for key, info in sorted(self.signatures.items()):
            defs[key] = {
                "inputs": {n: _tensor_info(key, n, d, s, True) for n, d, s in info.inputs},
                "outputs": {n: _tensor_info(key, n, d, s, False) for n, d, s in info.outputs},
                "method_name": "tensorflow/serving/predict"}
        return {"model_spec": {"name": self.name, "signature_name": "",
                               "version": str(self.version)},
                "metadata": {"signature_def": {"signature_def": defs}}}
