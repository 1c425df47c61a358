"""`tf.saved_model.save` / `tf.saved_model.load`: traced graphs and variable values on disk, in a
documented, non-pickle format; loading needs no user source.

An export directory holds two files:

- `saved_model.json`: `{"format": "autograph_jit.saved_model", "version": 1, "variables": [...],
  "functions": {...}, "root": {...}, "signatures": {...}}`.
  - `variables`: one `{"key", "name", "dtype", "shape", "trainable"}` per variable that the saved
    object holds or that a saved graph reads or writes;
  - `functions`: name -> list of concrete functions, each `{"graph", "input_signature",
    "output_structure"}`: the graph as in serialize.py, the structured input signature (tensor
    arguments as `{"spec": {"dtype", "shape"}}`, Python arguments as their values) and the output
    structure (`{"leaf": true}` where a graph result goes);
  - `root`: the object tree: `{"attributes": {name: {"variable": key} | {"function": name} |
    {"object": tree} | {"list": [...]}}}`;
  - `signatures`: name -> function name (a concrete function taking tensors by keyword).
- `variables.npz`: the variable values, one array per key (`numpy.load(..., allow_pickle=False)`).

`load` rebuilds the variables, the graphs (ops by registered name) and an object whose attributes
mirror the saved one: tf.function attributes become callables that pick the concrete function
matching the argument types; `.signatures[name](**tensors)` returns a dict of outputs, as in TF.
"""
import json
import os

import numpy as np

from .. import nest
from ..tracing.concrete import _LEAF, ConcreteFunction
from ..tracing.function import Function
from ..tracing.signature import TensorSpec
from ..errors import SaveError
from .reload import reduce_loaded, remember
from .serialize import decode_graph, decode_value, encode_graph, encode_value
from ..module import Module
from ..tensor import convert_to_tensor, Tensor
from ..tracing.builder import GraphBuilder
from ..variables import Variable

__all__ = ["save", "load", "SaveError"]

FORMAT = "autograph_jit.saved_model"
VERSION = 1
_JSON = "saved_model.json"
_NPZ = "variables.npz"


# ----------------------------------------------------------------------------------------------
# save
# ----------------------------------------------------------------------------------------------


class _Saver:
    def __init__(self):
        self.variables = []     # in key order
        self.var_keys = {}      # id(variable) -> key
        self.functions = {}     # name -> list of encoded concrete functions
        self.function_names = {}  # id(Function or ConcreteFunction) -> name

    def var_key(self, var):
        key = self.var_keys.get(id(var))
        if key is None:
            key = f"v{len(self.variables)}"
            self.var_keys[id(var)] = key
            self.variables.append(var)
        return key

    def concrete(self, cf):
        where = f"function {cf.name!r}"
        structure = nest.map_structure(lambda x: {"leaf": True} if x is _LEAF
                                       else encode_value(x, self.var_key, where),
                                       cf._output_structure)
        return {"graph": encode_graph(cf.graph, self.var_key),
                "input_signature": _encode_signature(cf.structured_input_signature, self.var_key),
                "output_structure": _encode_structure(structure)}

    def function(self, fn, name):
        if id(fn) in self.function_names:
            return self.function_names[id(fn)]
        if isinstance(fn, ConcreteFunction):
            concretes = [fn]
        else:
            concretes = _traced(fn)
            if not concretes and fn.input_signature is not None:
                concretes = [fn.get_concrete_function()]
        name = _unique(name, self.functions)
        self.function_names[id(fn)] = name
        self.functions[name] = [self.concrete(cf) for cf in concretes]
        return name

    def tree(self, obj, path, seen):
        if isinstance(obj, Variable):
            return {"variable": self.var_key(obj)}
        if isinstance(obj, (Function, ConcreteFunction)):
            return {"function": self.function(obj, path.replace(".", "_") or "function")}
        if isinstance(obj, (list, tuple)):
            items = [self.tree(v, f"{path}_{i}", seen) for i, v in enumerate(obj)]
            return {"list": [i for i in items if i is not None]}
        if not hasattr(obj, "__dict__") or id(obj) in seen or not _trackable(obj):
            return None
        seen.add(id(obj))
        attributes = {}
        for name in sorted(vars(obj)):
            if name.startswith("__"):
                continue
            sub = self.tree(vars(obj)[name], f"{path}.{name}" if path else name, seen)
            if sub is not None:
                attributes[name] = sub
        for name, value in _class_functions(obj):
            attributes[name] = self.tree(value, f"{path}.{name}" if path else name, seen)
        return {"object": {"attributes": attributes}}


def _trackable(obj):
    return isinstance(obj, Module) or type(obj).__module__ == "autograph_jit.saved_model"


def _class_functions(obj):
    """Bound tf.function attributes defined on obj's class (methods decorated with tf.function)."""
    out = []
    for klass in type(obj).__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, Function) and name not in dict(out):
                out.append((name, getattr(obj, name)))
    return sorted(out)


def _traced(fn):
    seen, out = set(), []
    for cf in fn._cache.values():
        if id(cf) not in seen:
            seen.add(id(cf))
            out.append(cf)
    return out


def _unique(name, taken):
    base, i = name, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    return name


def _encode_signature(sig, var_key):
    def enc(x):
        if isinstance(x, TensorSpec):
            return {"spec": {"dtype": x.dtype.name,
                             "shape": None if x.shape.rank is None else list(x.shape.as_tuple())}}
        return encode_value(x, var_key, "input signature")
    args, kwargs = sig
    return {"args": [_encode_structure(nest.map_structure(enc, a)) for a in args],
            "kwargs": {k: _encode_structure(nest.map_structure(enc, v)) for k, v in kwargs.items()}}


def _encode_structure(s):
    """Python containers of already-encoded leaves -> JSON (tuples tagged to survive)."""
    if isinstance(s, tuple):
        return {"tuple": [_encode_structure(x) for x in s]}
    if isinstance(s, list):
        return {"list": [_encode_structure(x) for x in s]}
    if isinstance(s, dict) and not _is_encoded_leaf(s):
        return {"dict": [[k, _encode_structure(v)] for k, v in s.items()]}
    return s


def _is_encoded_leaf(d):
    return len(d) == 1 and next(iter(d)) in ("leaf", "spec", "float", "ndarray", "dtype", "shape",
                                             "variable", "graph", "tuple", "list", "dict")


def save(obj, export_dir, signatures=None, options=None):
    """TF's `tf.saved_model.save(obj, export_dir, signatures=None, options=None)`.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> module = tf.Module()
    >>> module.v = tf.Variable(2.0)
    >>> module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([], tf.float32)])
    >>> tf.saved_model.save(module, d)
    >>> sorted(os.listdir(d))
    ['saved_model.json', 'variables.npz']
    """
    saver = _Saver()
    root = saver.tree(obj, "", set())
    if root is None:
        raise SaveError(f"tf.saved_model.save expects a tf.Module (or an object holding "
                        f"variables and tf.functions), got {type(obj).__name__}")
    sigs = {}
    if signatures is not None:
        if not isinstance(signatures, dict):
            signatures = {"serving_default": signatures}
        for key, fn in signatures.items():
            if isinstance(fn, Function):
                if fn.input_signature is None and not _traced(fn):
                    raise SaveError(f"signature {key!r}: the tf.function has no input_signature "
                                    "and was never traced; pass fn.get_concrete_function(...)")
                fn = fn.get_concrete_function() if fn.input_signature is not None else \
                    _traced(fn)[0]
            sigs[key] = saver.function(fn, f"signature_{key}")
    else:
        from .default_signature import default_signature
        fn = default_signature(obj)
        if fn is not None:
            sigs["serving_default"] = saver.function(fn, "signature_serving_default")
    meta = {"format": FORMAT, "version": VERSION,
            "variables": [{"key": saver.var_key(v), "name": v.name, "dtype": v.dtype.name,
                           "shape": list(v.shape.as_tuple()), "trainable": v.trainable}
                          for v in saver.variables],
            "functions": saver.functions, "root": root, "signatures": sigs}
    os.makedirs(export_dir, exist_ok=True)
    with open(os.path.join(export_dir, _JSON), "w", encoding="utf-8") as fh:
        json.dump(meta, fh)
    np.savez(os.path.join(export_dir, _NPZ),
             **{saver.var_key(v): np.asarray(v.numpy()) for v in saver.variables})


# ----------------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------------


class LoadedObject:
    """What `tf.saved_model.load` returns (TF's `_UserObject`): saved attributes, plus
    `signatures`, `variables` and `trainable_variables`."""

    def __call__(self, *args, **kwargs):
        """`loaded(x)` when the saved object had a tf.function `__call__` (a Keras-style module),
        as in TF."""
        call = vars(self).get("__call__")
        if call is None:
            raise TypeError("this loaded object is not callable: the saved object had no "
                            "tf.function `__call__` (saved functions: "
                            f"{', '.join(k for k in vars(self) if not k.startswith('_'))})")
        return call(*args, **kwargs)

    def __repr__(self):
        names = ", ".join(k for k in vars(self) if not k.startswith("_"))
        return f"<LoadedObject with {names}>"

    def __reduce__(self):
        """Pickled as its export directory, re-loaded on arrival (reload.py)."""
        return reduce_loaded(self)


class RestoredFunction:
    """A saved tf.function: calls the concrete function whose input signature matches."""

    def __init__(self, name, concretes):
        self.__name__ = name
        self.concrete_functions = concretes

    def __call__(self, *args, **kwargs):
        for cf in self.concrete_functions:
            tensors = _match(cf, args, kwargs)
            if tensors is not None:
                return cf._call_flat(tensors)
        sigs = "\n  ".join(str(cf.structured_input_signature) for cf in self.concrete_functions)
        raise ValueError(f"Could not find a saved concrete function of {self.__name__!r} matching "
                         f"the arguments {args!r} {kwargs!r}. Saved input signatures:\n  {sigs}")

    def get_concrete_function(self, *args, **kwargs):
        for cf in self.concrete_functions:
            if _match(cf, args, kwargs) is not None:
                return cf
        raise ValueError(f"{self.__name__}: no saved concrete function matches {args!r}")

    def __reduce__(self):
        return reduce_loaded(self)


class _Signature:
    """`loaded.signatures[name]`: keyword tensors in, a dict of outputs out (TF's shape)."""

    def __init__(self, cf, arg_names):
        self.concrete_function = cf
        self._arg_names = arg_names
        self.structured_input_signature = cf.structured_input_signature

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = tuple(args) + tuple(kwargs[n] for n in self._arg_names[len(args):])
        out = self.concrete_function(*args)
        if isinstance(out, dict):
            return out
        flat = nest.flatten(out)
        return {f"output_{i}": t for i, t in enumerate(flat)}

    def __reduce__(self):
        return reduce_loaded(self)


def _match(cf, args, kwargs):
    spec_args, spec_kwargs = cf.structured_input_signature
    try:
        nest.assert_same_structure(list(spec_args), list(args), check_types=False)
    except (TypeError, ValueError):
        return None
    tensors = []
    for spec, value in zip(nest.flatten(list(spec_args)), nest.flatten(list(args))):
        if isinstance(spec, TensorSpec):
            try:
                t = value if isinstance(value, Tensor) else convert_to_tensor(value, spec.dtype)
            except (TypeError, ValueError):
                return None
            if t.dtype != spec.dtype or not spec.shape.is_compatible_with(t.shape):
                return None
            tensors.append(t)
        elif not (spec is value or spec == value):
            return None
    return tensors


def _decode_structure(d, variables):
    if isinstance(d, dict):
        (tag, body), = d.items()
        if tag == "leaf":
            return _LEAF
        if tag == "spec":
            return TensorSpec(body["shape"], body["dtype"])
        if tag == "tuple":
            return tuple(_decode_structure(x, variables) for x in body)
        if tag == "list":
            return [_decode_structure(x, variables) for x in body]
        if tag == "dict":
            return {k: _decode_structure(v, variables) for k, v in body}
        return decode_value(d, variables)
    return d


def _restore_concrete(name, d, variables):
    graph = decode_graph(d["graph"], variables)
    sig = d["input_signature"]
    structured = (tuple(_decode_structure(a, variables) for a in sig["args"]),
                  {k: _decode_structure(v, variables) for k, v in sig["kwargs"].items()})
    structure = _decode_structure(d["output_structure"], variables)
    holder = GraphBuilder(name)
    holder.graph = graph
    inputs = [holder.symbolic(p) for p in graph.data_params]
    outputs = [holder.symbolic(r) for r in graph.data_results]
    return ConcreteFunction(name, graph, inputs, outputs, structure, structured, None,
                            backend="cpu")


def load(export_dir, tags=None, options=None):
    """TF's `tf.saved_model.load(export_dir)`. A damaged folder raises one clear error naming
    the file and what is wrong in it (reading.py).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> module = tf.Module()
    >>> module.v = tf.Variable(2.0)
    >>> module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([], tf.float32)])
    >>> tf.saved_model.save(module, d)
    >>> loaded = tf.saved_model.load(d)
    >>> print(loaded.f(tf.constant(3.0)))
    tf.Tensor(6.0, shape=(), dtype=float32)
    >>> print(loaded.signatures['serving_default'](x=tf.constant(1.0)))
    {'output_0': <tf.Tensor: shape=(), dtype=float32, numpy=2.0>}
    """
    from . import reading
    export_dir = os.fspath(export_dir)
    meta = reading.read_meta(export_dir, FORMAT, VERSION)
    arrays = reading.read_arrays(export_dir)
    variables = {}
    for key, name, value, trainable, dtype in reading.variable_records(meta, arrays, export_dir):
        variables[key] = Variable(value, trainable=trainable, name=name, dtype=dtype)
    functions = {}
    for name, cfs in meta["functions"].items():
        if not isinstance(cfs, list):
            raise reading.malformed(export_dir, f"function {name!r}",
                                    TypeError("expected a list of concrete functions"))
        functions[name] = RestoredFunction(name, [
            reading.decode_function(export_dir, name, k, c,
                                    lambda c: _restore_concrete(name, c, variables))
            for k, c in enumerate(cfs)])

    def build(node, where):
        if not isinstance(node, dict):
            raise reading.malformed(export_dir, where, TypeError("expected an object"))
        if "variable" in node:
            return reading.lookup(variables, node["variable"], where, export_dir)
        if "function" in node:
            return reading.lookup(functions, node["function"], where, export_dir)
        if "list" in node:
            return [build(x, f"{where}[{i}]") for i, x in enumerate(node["list"])]
        obj = LoadedObject()
        attributes = node.get("object", {}).get("attributes") \
            if isinstance(node.get("object"), dict) else None
        if not isinstance(attributes, dict):
            raise reading.malformed(export_dir, where, KeyError("attributes"))
        for k, v in attributes.items():
            setattr(obj, k, build(v, f"{where}.{k}"))
        return obj

    root = build(meta["root"], "root")
    root.signatures = {}
    for key, fname in meta.get("signatures", {}).items():
        concretes = reading.lookup(functions, fname, f"signature {key!r}",
                                   export_dir).concrete_functions
        if not concretes:
            raise reading.malformed(export_dir, f"signature {key!r}",
                                    ValueError(f"function {fname!r} has no concrete function"))
        cf = concretes[0]
        names = [p.name or f"arg{i}" for i, p in enumerate(cf.graph.data_params)]
        root.signatures[key] = _Signature(cf, names)
    all_vars = tuple(variables[v["key"]] for v in meta["variables"])
    root.variables = all_vars
    root.trainable_variables = tuple(v for v in all_vars if v.trainable)
    remember(root, functions, export_dir)  # (pickling: reload.py)
    return root
