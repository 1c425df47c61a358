"""The object graph of a checkpoint: which Python objects depend on which, under which names.

A *trackable* is a Variable (a leaf holding one value, `VARIABLE_VALUE`), a `tf.Module` (its
attributes, in assignment order), an optimizer, a list/tuple (children "0", "1", ...) or dict
(children named by the key) holding trackables, or any object defining
`_trackable_children(save_type="checkpoint")` -> {name: child} (Keras layers and models override
it to choose their names, e.g. `layer_with_weights-0`).

Keras optimizers name their children through `_trackable_children` too, as TF 2.21 with Keras 3
does (keras/optimizers/optimizer.py): this module knows nothing of Keras.

`gather(root)` walks the graph breadth first, as TF does, so an object reachable by several paths
is stored once, under its shortest path; each name on a path is escaped as TF escapes it
(`.` -> `..`, `/` -> `.S`) and a variable's value is stored under
`<path>/.ATTRIBUTES/VARIABLE_VALUE`.
"""
from ..module import Module
from ..variables import Variable

__all__ = ["children_of", "is_trackable", "gather", "escape", "VALUE_SUFFIX", "OBJECT_GRAPH_KEY"]

VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def escape(name):
    return name.replace(".", "..").replace("/", ".S")


def is_trackable(obj):
    """True for objects that can appear in a checkpoint's object graph."""
    if isinstance(obj, (Variable, Module)) or hasattr(obj, "_trackable_children"):
        return True
    if isinstance(obj, (list, tuple)):
        return any(is_trackable(v) for v in obj)
    if isinstance(obj, dict):
        return any(is_trackable(v) for v in obj.values())
    return False


def children_of(obj):
    """{name: child} of one trackable, in TF's order (attribute assignment order)."""
    custom = getattr(obj, "_trackable_children", None)
    if custom is not None and not isinstance(obj, type):
        return {k: v for k, v in custom(save_type="checkpoint").items() if is_trackable(v)}
    if isinstance(obj, Variable):
        return {}
    if isinstance(obj, (list, tuple)):
        return {str(i): v for i, v in enumerate(obj) if is_trackable(v)}
    if isinstance(obj, dict):
        return {str(k): v for k, v in obj.items() if is_trackable(v)}
    if isinstance(obj, Module):
        return {k: v for k, v in vars(obj).items()
                if not k.startswith("_self_") and is_trackable(v)}
    return {}


class Node:
    """One object of the graph being saved: its id (BFS order), path and children."""

    __slots__ = ("obj", "node_id", "path", "children")

    def __init__(self, obj, node_id, path):
        self.obj = obj
        self.node_id = node_id
        self.path = path          # escaped names from the root, joined by "/"
        self.children = []        # (local name, Node)


def gather(root):
    """The nodes reachable from `root`, breadth first (root first)."""
    root_node = Node(root, 0, "")
    nodes = [root_node]
    by_id = {id(root): root_node}
    i = 0
    while i < len(nodes):
        node = nodes[i]
        i += 1
        for name, child in children_of(node.obj).items():
            existing = by_id.get(id(child))
            if existing is None:
                path = escape(name) if not node.path else f"{node.path}/{escape(name)}"
                existing = Node(child, len(nodes), path)
                by_id[id(child)] = existing
                nodes.append(existing)
            node.children.append((name, existing))
    return nodes


def variable_full_name(var):
    name = var.name
    return name[:-2] if name.endswith(":0") else name
