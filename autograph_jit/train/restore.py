"""Restoring a checkpoint into Python objects: matching, validation, deferred values, status.

Matching follows TF: the checkpoint's object graph is walked from its root together with the
Python objects, child by child, by local name. A variable matched to a checkpoint node gets that
node's value. A child the checkpoint has but the Python object does not have yet is *deferred*:
the parent remembers it (`_self_checkpoint_deferred`), and when the attribute is set later
(`tf.Module.__setattr__` calls `notify_child`), the new object is matched and its values land then
(Keras layers build their variables on first call; optimizers their slots on first update).

Every value of one restore is read and checked (shape and dtype) before any variable changes, so a
mismatch raises an error naming the variable's checkpoint path and both shapes and leaves the
model as it was.
"""
import warnings
import weakref

import numpy as np

from .. import dtypes as _dtypes
from ..errors import NotFoundError
from ..variables import Variable
from .object_graph import OBJECT_GRAPH_KEY, children_of, gather
from .protos import TrackableObjectGraph

__all__ = ["Restoration", "CheckpointLoadStatus", "InitializationOnlyStatus", "notify_child"]

_DEFERRED = "_self_checkpoint_deferred"


def _assign_raw(var, arr):
    """Install a checked value without an op (restores are not traced or taped). A read-only
    array of the variable's dtype is kept as it is (variable buffers are never written in place)."""
    if arr.dtype != var.dtype.np_dtype or arr.flags.writeable:
        arr = np.array(arr, dtype=var.dtype.np_dtype, copy=True)
        arr.flags.writeable = False
    var._value = arr


class Restoration:
    """One `restore()` call: the checkpoint's graph, the matches so far, the deferred children."""

    def __init__(self, reader, save_path):
        self.reader = reader
        self.save_path = save_path
        if OBJECT_GRAPH_KEY not in reader:
            raise NotFoundError(
                f"The checkpoint {save_path} has no object graph ({OBJECT_GRAPH_KEY}): it was "
                "written by a name-based saver (TF1 tf.compat.v1.train.Saver). Read its tensors "
                "with tf.train.load_checkpoint(path).get_tensor(name) instead.")
        self.proto = TrackableObjectGraph.FromString(bytes(reader.get(OBJECT_GRAPH_KEY)[()]))
        self.by_node = {}        # checkpoint node id -> Python object
        self.node_of = {}        # id(Python object) -> checkpoint node id
        self.restored = set()    # node ids whose values were assigned
        self.paths = {0: ""}     # node id -> readable path
        self.deferred = {}       # node id -> (parent ref, local name)
        self.flags = {"expect_partial": False}
        self.matched = set()     # node ids matched so far (no references to Python objects)
        # Warn about values that never found an object once nothing can claim them any more: the
        # restoration lives while its status or any deferred child (a pending attribute) does.
        weakref.finalize(self, _warn_unused, self.proto, self.matched, save_path, self.flags)
        for nid, node in enumerate(self.proto.nodes):
            for ref in node.children:
                if ref.node_id not in self.paths:
                    base = self.paths[nid]
                    self.paths[ref.node_id] = f"{base}/{ref.local_name}" if base else ref.local_name

    # -- matching ---------------------------------------------------------------------------
    def _walk(self, node_id, obj):
        """Match `obj` to `node_id` and everything below; returns the (var, array, path) to assign."""
        staged = []
        queue = [(node_id, obj)]
        while queue:
            nid, py = queue.pop(0)
            if nid in self.by_node or id(py) in self.node_of:
                continue
            self.by_node[nid] = py
            self.node_of[id(py)] = nid
            self.matched.add(nid)
            self.deferred.pop(nid, None)
            node = self.proto.nodes[nid]
            if isinstance(py, Variable):
                for attr in node.attributes:
                    if attr.name == "VARIABLE_VALUE":
                        staged.append((py, nid, attr.checkpoint_key))
                continue
            py_children = children_of(py)
            for ref in node.children:
                child = py_children.get(ref.local_name)
                if child is None:
                    if ref.node_id not in self.by_node:
                        self._defer(py, ref.local_name, ref.node_id)
                    continue
                queue.append((ref.node_id, child))
        return staged

    def _defer(self, parent, name, node_id):
        table = getattr(parent, "__dict__", None)
        if table is None:
            return
        pending = table.get(_DEFERRED)
        if pending is None:
            pending = table[_DEFERRED] = {}
        pending[name] = (self, node_id)
        self.deferred[node_id] = (weakref.ref(parent) if _weakrefable(parent) else None, name)

    def _load(self, staged):
        """Read and check every staged value; raise before assigning anything on a mismatch."""
        loaded = []
        errors = []
        for var, nid, key in staged:
            if key not in self.reader:
                errors.append(f"{self.paths[nid]}: key {key} is missing from the checkpoint")
                continue
            ck_shape = tuple(self.reader.shape(key))
            ck_dtype = self.reader.dtype(key)
            if not var.shape.is_compatible_with(ck_shape):
                errors.append(f"{self.paths[nid]} (variable {var.name!r}): the checkpoint's value "
                              f"has shape {list(ck_shape)}, the variable has shape "
                              f"{var.shape.as_list() if var.shape.rank is not None else None}")
                continue
            if ck_dtype == "string" or not _castable(ck_dtype, var.dtype):
                errors.append(f"{self.paths[nid]} (variable {var.name!r}): the checkpoint's value "
                              f"has dtype {ck_dtype}, the variable has dtype {var.dtype.name}")
                continue
            loaded.append((var, nid, self.reader.get(key)))
        if errors:
            raise ValueError(
                f"Cannot restore {self.save_path}: " + "; ".join(errors) +
                ". Nothing was restored. Build the model with the shapes it was saved with, or "
                "restore into a model with matching variables.")
        return loaded

    def _assign(self, loaded):
        for var, nid, arr in loaded:
            _assign_raw(var, arr)
            self.restored.add(nid)

    def restore_root(self, root):
        self._restore_from(0, root)

    def restore_child(self, node_id, obj):
        """A deferred child was created: match and restore it now (called by
        `AutoTrackable.__setattr__` and `notify_child`)."""
        if node_id not in self.by_node:
            self._restore_from(node_id, obj)

    def _restore_from(self, node_id, obj):
        try:
            self._assign(self._load(self._walk(node_id, obj)))
        except Exception:
            self.flags["expect_partial"] = True   # the error said it; no warning later
            raise

    # -- bookkeeping for the status ----------------------------------------------------------
    def value_nodes(self):
        return [nid for nid, n in enumerate(self.proto.nodes)
                if any(a.name == "VARIABLE_VALUE" for a in n.attributes)]


def _castable(ck_dtype, dtype):
    return _dtypes.as_dtype(ck_dtype) is dtype


def _weakrefable(obj):
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def notify_child(parent, name, value):
    """Called when attribute `name` of `parent` is set: land a deferred restore into `value`."""
    pending = parent.__dict__.get(_DEFERRED)
    entry = pending.pop(name, None) if pending else None
    if entry is None:
        return
    restoration, node_id = entry
    restoration.restore_child(node_id, value)


class _Status:
    def expect_partial(self):
        """Silence the warning about checkpoint values that were never used."""
        self._silence()
        return self

    def _silence(self):
        return None

    def run_restore_ops(self, session=None):
        """Values are assigned eagerly when `restore` runs (or when deferred objects are
        created); there is nothing left to run, as in TF2 eager mode."""
        return None

    def initialize_or_restore(self, session=None):
        return None


class CheckpointLoadStatus(_Status):
    """What `Checkpoint.restore(path)` returns: assertions about how well the checkpoint matched."""

    def __init__(self, restoration, root, graph_root):
        self._restoration = restoration
        self._root = root
        self._graph_root = graph_root

    def _silence(self):
        self._restoration.flags["expect_partial"] = True

    def _unbound_variables(self):
        """Paths of Python variables no checkpoint value was matched to (the checkpoint's own
        `save_counter` aside: a checkpoint made by `write` has none)."""
        r = self._restoration
        return [n.path or "(root)" for n in gather(self._graph_root)
                if isinstance(n.obj, Variable) and id(n.obj) not in r.node_of
                and n.obj is not self._root._save_counter]

    def assert_consumed(self):
        """Every checkpoint value was restored and every Python variable got a value."""
        r = self._restoration
        missing = [r.paths[nid] for nid in r.value_nodes() if nid not in r.restored]
        if missing:
            raise AssertionError(
                f"Unresolved object in checkpoint {r.save_path}: values for {missing} were not "
                "restored (their Python objects do not exist, or were not created yet).")
        unused = self._unbound_variables()
        if unused:
            raise AssertionError(
                "Some Python objects were not bound to checkpointed values, likely due to changes "
                f"in the Python program: {unused}")
        self._silence()
        return self

    def assert_existing_objects_matched(self):
        """Every Python variable that exists now got a value from the checkpoint."""
        r = self._restoration
        unused = self._unbound_variables()
        if unused:
            raise AssertionError(
                "Some Python objects were not bound to checkpointed values, likely due to changes "
                f"in the Python program: {unused}")
        not_restored = [r.paths[nid] for nid, obj in r.by_node.items()
                        if isinstance(obj, Variable) and nid not in r.restored]
        if not_restored:
            raise AssertionError(f"Objects not assigned a value from checkpoint: {not_restored}")
        self._silence()
        return self

    def assert_nontrivial_match(self):
        """Something besides the root (and `save_counter`) was matched."""
        r = self._restoration
        real = [nid for nid in r.by_node if nid != 0 and r.paths.get(nid) != "save_counter"]
        if not real:
            raise AssertionError(
                f"Nothing except the root object matched a checkpointed value from "
                f"{r.save_path}. Typically this means that the checkpoint does not match the "
                "Python program. The following objects have checkpointed values: "
                f"{[r.paths[n] for n in r.value_nodes()]}")
        self._silence()
        return self


def _warn_unused(proto, matched, save_path, flags):
    if flags["expect_partial"]:
        return
    unused = [nid for nid, n in enumerate(proto.nodes)
              if nid not in matched and any(a.name == "VARIABLE_VALUE" for a in n.attributes)]
    if unused:
        keys = [a.checkpoint_key for nid in unused for a in proto.nodes[nid].attributes][:10]
        warnings.warn(f"Values in checkpoint {save_path} were never restored (their Python objects "
                      f"were not created): {keys}. Call .expect_partial() on the status returned "
                      "by restore() to silence this warning.", stacklevel=2)


class InitializationOnlyStatus(_Status):
    """What `restore(None)` returns: nothing is restored; variables keep their initial values."""

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_existing_objects_matched(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_nontrivial_match(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")
