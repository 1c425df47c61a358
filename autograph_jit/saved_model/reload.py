"""Pickling what `tf.saved_model.load` returns: by its export directory, re-loaded on arrival.

A loaded object holds compiled graphs (native code that cannot leave the process), so it pickles
as (directory, where in the object tree, the current variable values): the receiver loads the
directory again (it must see the same path: a shared file system, or the same image), sets the
variables to the values they had when pickled (training after loading is kept), and walks to
the same attribute. The root, any object, list item, restored function or signature under it
pickles this way.

    loaded = tf.saved_model.load("/shared/model")
    worker_copy = pickle.loads(pickle.dumps(loaded.serve))   # loads /shared/model again
"""
import os

import numpy as np


def remember(root, functions, export_dir):
    """Mark every object of a freshly loaded tree with where it came from (called by load)."""
    origin = (os.path.abspath(export_dir), root.variables)

    def mark(obj, path):
        if isinstance(obj, list):
            for i, x in enumerate(obj):
                mark(x, path + (("item", i),))
        elif hasattr(obj, "__dict__") and obj.__dict__.get("_origin") is None and \
                not hasattr(obj, "numpy"):   # (variables pickle by value already)
            obj.__dict__["_origin"] = (origin, path)
            for k, v in list(vars(obj).items()):
                if not k.startswith("_") and k not in ("signatures", "variables",
                                                       "trainable_variables"):
                    mark(v, path + (("attr", k),))

    mark(root, ())
    for key, sig in root.signatures.items():
        sig.__dict__["_origin"] = (origin, (("signature", key),))
    for fn in functions.values():  # (each reachable one is marked above, at its first path)
        fn.__dict__.setdefault("_origin", None)


def reduce_loaded(obj):
    """`__reduce__` of a loaded object, restored function or signature."""
    where = vars(obj).get("_origin")
    if where is None:
        raise TypeError(f"cannot pickle {obj!r}: it is not reachable from the object "
                        "tf.saved_model.load returned; pickle that object (or send its "
                        "export directory) instead.")
    (export_dir, variables), path = where
    return reload, (export_dir, path, [np.array(v.numpy()) for v in variables])


def reload(export_dir, path, values):
    """Load `export_dir`, give its variables `values`, and return the object at `path`."""
    from . import load
    try:
        root = load(export_dir)
    except OSError as e:
        raise OSError(f"unpickling a loaded SavedModel loads it again from {export_dir}, which "
                      f"this process cannot read ({e}). Make the directory reachable here (a "
                      "shared file system) or send the files.") from None
    if len(root.variables) != len(values):
        raise ValueError(f"unpickling a loaded SavedModel: {export_dir} now holds "
                         f"{len(root.variables)} variables, the pickled model had {len(values)}; "
                         "it was overwritten since.")
    for v, value in zip(root.variables, values):
        v.assign(value)
    obj = root
    for kind, key in path:
        obj = root.signatures[key] if kind == "signature" else \
            obj[key] if kind == "item" else getattr(obj, key)
    return obj
