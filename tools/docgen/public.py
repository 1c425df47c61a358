"""The public API: every namespace a user reaches as `tf.<ns>` and the functions and classes in it.

One list for the API reference (docs/api/) and for the docstring tests
(tests/test_docstring_examples.py): a name is public when it is an attribute of one of NAMESPACES
without a leading underscore, and a function or class (submodules that implement a namespace, e.g.
`tf.keras.layers.core`, are not namespaces). A namespace with `__all__` lists exactly those.
"""
import inspect
import types

# Namespaces in the order of the reference: (dotted path under tf, page title).
NAMESPACES = [
    ("", "tf"),
    ("math", "tf.math"),
    ("nn", "tf.nn"),
    ("linalg", "tf.linalg"),
    ("random", "tf.random"),
    ("nest", "tf.nest"),
    ("dtypes", "tf.dtypes"),
    ("errors", "tf.errors"),
    ("debugging", "tf.debugging"),
    ("config", "tf.config"),
    ("config.experimental", "tf.config.experimental"),
    ("config.optimizer", "tf.config.optimizer"),
    ("config.threading", "tf.config.threading"),
    ("autograph", "tf.autograph"),
    ("autograph.experimental", "tf.autograph.experimental"),
    ("data", "tf.data"),
    ("data.experimental", "tf.data.experimental"),
    ("io", "tf.io"),
    ("sparse", "tf.sparse"),
    ("strings", "tf.strings"),
    ("ragged", "tf.ragged"),
    ("distribute", "tf.distribute"),
    ("train", "tf.train"),
    ("summary", "tf.summary"),
    ("saved_model", "tf.saved_model"),
    ("keras", "tf.keras"),
    ("keras.layers", "tf.keras.layers"),
    ("keras.activations", "tf.keras.activations"),
    ("keras.initializers", "tf.keras.initializers"),
    ("keras.regularizers", "tf.keras.regularizers"),
    ("keras.constraints", "tf.keras.constraints"),
    ("keras.losses", "tf.keras.losses"),
    ("keras.metrics", "tf.keras.metrics"),
    ("keras.optimizers", "tf.keras.optimizers"),
    ("keras.optimizers.schedules", "tf.keras.optimizers.schedules"),
    ("keras.callbacks", "tf.keras.callbacks"),
    ("keras.models", "tf.keras.models"),
    ("keras.saving", "tf.keras.saving"),
    ("keras.utils", "tf.keras.utils"),
    ("keras.backend", "tf.keras.backend"),
    ("keras.datasets", "tf.keras.datasets"),
]


def resolve(path):
    """The module or object at `tf.<path>` (None when this build has no such namespace)."""
    import autograph_jit as tf
    obj = tf
    for part in [p for p in path.split(".") if p]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _is_api_object(obj):
    return inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj) or (
        callable(obj) and hasattr(obj, "__wrapped__"))


def members(path):
    """[(name, object)] of the functions and classes of namespace `tf.<path>`, sorted by name."""
    ns = resolve(path)
    if ns is None:
        return []
    names = getattr(ns, "__all__", None)
    if names is None:
        names = [n for n in dir(ns) if not n.startswith("_")]
    out = []
    for name in sorted(set(names)):
        obj = getattr(ns, name, None)
        if obj is None or isinstance(obj, types.ModuleType) or not _is_api_object(obj):
            continue
        out.append((name, obj))
    return out


def submodules(path):
    """Names of the data-set modules and similar namespaces under `tf.<path>` that hold only
    functions (tf.keras.datasets.mnist ...), as dotted paths."""
    ns = resolve(path)
    out = []
    for name in sorted(dir(ns)):
        obj = getattr(ns, name)
        if isinstance(obj, types.ModuleType) and not name.startswith("_") \
                and obj.__name__.startswith(ns.__name__ + "."):
            out.append(f"{path}.{name}" if path else name)
    return out


def public_objects():
    """[(qualified name, object)] of every public function and class, each object once, under the
    first name the NAMESPACES order gives it (tf.add before tf.math.add)."""
    seen, out = set(), []
    paths = [p for p, _ in NAMESPACES]
    paths += [s for s in submodules("keras.datasets")]
    for path in paths:
        prefix = "tf." + path if path else "tf"
        for name, obj in members(path):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((f"{prefix}.{name}", obj))
    return out
