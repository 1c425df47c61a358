"""Functional models: `keras.Model(inputs, outputs)` over the graph of layer calls recorded on
KerasTensors — multiple inputs/outputs (lists or dicts), shared layers, nested models — and
their Keras 3 config (`layers` with `inbound_nodes`, `input_layers`, `output_layers`).

    inputs = keras.Input(shape=(4,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
"""
import collections

from ... import nest
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor
from .model import Model
from ..layers.layer import unique_object_name

__all__ = ["Functional", "functional_from_config"]


class Functional(Model):
    """A Model defined by a graph of layers from `inputs` (KerasTensors from `keras.Input`) to
    `outputs` (KerasTensors, possibly in a list or dict).

    >>> inputs = tf.keras.Input((3,))
    >>> model = tf.keras.Model(inputs, tf.keras.layers.Dense(1)(inputs))
    >>> isinstance(model, tf.keras.models.Functional)
    True
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        flat_inputs = nest.flatten(inputs)
        for x in flat_inputs + nest.flatten(outputs):
            if not isinstance(x, KerasTensor):
                raise ValueError("All `inputs` and `outputs` values must be KerasTensors (from "
                                 f"`keras.Input` and layers called on it). Received: {x!r} "
                                 f"(of type {type(x).__name__})")
        # (a Model subclass made functional is named after its class, as Keras 3 does)
        name = name or (_unique_functional_name() if type(self) is Functional else None)
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = flat_inputs
        self._outputs = nest.flatten(outputs)
        self._nodes_by_depth, self._operations = _map_graph(self._inputs, self._outputs)
        self._nodes = [node for depth in sorted(self._nodes_by_depth, reverse=True)
                       for node in self._nodes_by_depth[depth]]
        self._input_layers = [x._keras_history[0] for x in self._inputs]
        self.built = True

    # -- structure ------------------------------------------------------------------------------
    @property
    def layers(self):
        """Every layer of the graph, each once, ordered as Keras 3 orders them: by depth from
        the inputs (a layer shared at several depths at its deepest), then by first visit from
        the outputs. The op layers of `x + 1.0`-style expressions are Keras operations, not
        layers: they run, print in `summary()` and serialize, but are not listed here."""
        from ..layers.tensor_ops import OP_CLASSES
        ops = tuple(OP_CLASSES.values())
        return [op for op in self._operations if not isinstance(op, ops)]

    def _direct_children(self):
        return self.layers, []

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self):
        return [x._keras_history[0].name for x in self._inputs]

    @property
    def output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [x._keras_history[0].name for x in self._outputs]

    @property
    def input_shape(self):
        shapes = [x.shape for x in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [x.shape for x in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def build(self, input_shape=None):
        self.built = True

    def _run_build(self, input_shape):
        self.built = True

    # -- running the graph ----------------------------------------------------------------------
    def _standardize_inputs(self, inputs):
        if isinstance(inputs, dict):
            names = [x.name or x._keras_history[0].name for x in self._inputs]
            if isinstance(self._inputs_struct, dict):
                names = list(_sorted_dict_keys(self._inputs_struct))
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Missing input(s) {missing} for model '{self.name}': it "
                                 f"expects a dict with keys {names}; received keys "
                                 f"{list(inputs)}.")
            return [inputs[n] for n in names]
        flat = nest.flatten(inputs)
        if len(flat) != len(self._inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self._inputs)} input(s), but it '
                             f"received {len(flat)} input tensors.")
        return flat

    def call(self, inputs, training=None, mask=None):
        values = {}
        for kt, value in zip(self._inputs, self._standardize_inputs(inputs)):
            _check_input_shape(self, kt, value)
            values[id(kt)] = value
        for node in self._nodes:
            if node.is_input:
                continue
            def fetch(x):
                if isinstance(x, KerasTensor):
                    return values[id(x)]
                return x
            args = nest.map_structure(fetch, node.arguments_args)
            kwargs = nest.map_structure(fetch, node.arguments_kwargs)
            outputs = node.operation(*args, **kwargs)
            for kt, value in zip(node.output_tensors, nest.flatten(outputs)):
                values[id(kt)] = value
        flat = [values[id(x)] for x in self._outputs]
        outputs = nest.pack_sequence_as(self._outputs_struct, flat)
        # Keras 3 returns the tensor itself for `outputs=[x]` (and a list when called on
        # KerasTensors: compute_output_spec below)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        outputs = super().compute_output_spec(*args, **kwargs)
        struct = self._outputs_struct
        if isinstance(struct, (list, tuple)) and len(struct) == 1 and \
                not isinstance(outputs, (list, tuple)):
            outputs = type(struct)([outputs])
        return outputs

    # -- configuration --------------------------------------------------------------------------
    def get_config(self):
        from ..saving.serialization import serialize_keras_object
        node_index_map = {}
        layer_configs = []
        for layer in self._operations:
            kept = [n for n in layer._inbound_nodes if n in self._node_set]
            for i, n in enumerate(kept):
                node_index_map[id(n)] = i
        for layer in self._operations:
            entry = serialize_keras_object(layer)
            entry["name"] = layer.name
            inbound = []
            for node in layer._inbound_nodes:
                if node not in self._node_set or node.is_input:
                    continue
                inbound.append({
                    "args": _serialize_node_args(node.arguments_args, node_index_map),
                    "kwargs": _serialize_node_args(node.arguments_kwargs, node_index_map)})
            entry["inbound_nodes"] = inbound
            layer_configs.append(entry)

        def ref(x):
            layer, node_index, tensor_index = x._keras_history
            node = layer._inbound_nodes[node_index]
            return [layer.name, node_index_map.get(id(node), 0), tensor_index]
        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs,
                "input_layers": _struct_refs(self._inputs_struct, ref),
                "output_layers": _struct_refs(self._outputs_struct, ref)}

    @property
    def _node_set(self):
        return set(self._nodes)


def _sorted_dict_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _check_input_shape(model, kt, value):
    shape = getattr(value, "shape", None)
    if shape is None:
        return
    shape = tuple(shape.as_list()) if hasattr(shape, "as_list") else tuple(shape)
    expected = kt.shape
    if len(shape) != len(expected) or any(
            e is not None and s is not None and e != s for e, s in zip(expected, shape)):
        raise ValueError(f'Input {model._inputs.index(kt)} of layer "{model.name}" is '
                         f"incompatible with the layer: expected shape={expected}, found "
                         f"shape={shape}")


_FUNCTIONAL_COUNT = [0]


def _unique_functional_name():
    return unique_object_name("functional")


def _map_graph(inputs, outputs):
    """Keras 3's `map_graph`: the nodes between `inputs` and `outputs` by depth (0 at the
    outputs), and the operations ordered by decreasing depth, ties in the order a depth-first
    walk from the outputs first reaches them. An operation shared at several depths takes its
    deepest one."""
    input_ids = {id(x) for x in inputs}
    ordered, finished, in_progress, visit_index = [], set(), set(), {}

    def visit(tensor):
        history = tensor._keras_history
        if history is None:
            raise ValueError(f"Output tensor {tensor} was not produced by a Keras layer.")
        layer, node_index, _ = history
        node = layer._inbound_nodes[node_index]
        if node in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(node)   # a declared input made by a layer outside the model
            return
        if node in in_progress:
            raise ValueError(f"Tensor {tensor} from operation '{layer.name}' is part of a "
                             "cycle.")
        visit_index.setdefault(layer, len(visit_index))
        in_progress.add(node)
        if node.is_input and id(tensor) not in input_ids:
            raise ValueError(f"Graph disconnected: cannot find the value of tensor {tensor} "
                             f"at layer \"{layer.name}\". The model's inputs were: "
                             f"{[x.name for x in inputs]}")
        if not node.is_input:
            for x in node.input_tensors:
                visit(x)
        finished.add(node)
        in_progress.discard(node)
        ordered.append(node)

    for x in outputs:
        visit(x)
    in_graph = set(ordered)
    node_depth, op_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), op_depth.get(node.operation, 0))
        op_depth[node.operation] = depth
        node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for x in inputs:   # inputs that no output depends on still count (as Keras keeps them)
        layer, node_index, _ = x._keras_history
        node = layer._inbound_nodes[node_index]
        if layer not in op_depth and node.is_input:
            op_depth[layer] = 0
            visit_index[layer] = -1
            node_depth[node] = 0
    nodes_by_depth = collections.defaultdict(list)
    for node, depth in node_depth.items():
        nodes_by_depth[depth].append(node)
    ops_by_depth = collections.defaultdict(list)
    for op, depth in op_depth.items():
        ops_by_depth[depth].append(op)
    operations = []
    for depth in sorted(ops_by_depth, reverse=True):
        operations.extend(sorted(ops_by_depth[depth], key=lambda op: visit_index[op]))
    return dict(nodes_by_depth), operations


def _serialize_node_args(structure, node_index_map):
    def conv(x):
        if isinstance(x, slice):
            return {"class_name": "__slice__",
                    "config": {"start": x.start, "stop": x.stop, "step": x.step}}
        if x is Ellipsis:
            return {"class_name": "__ellipsis__", "config": {}}
        if isinstance(x, KerasTensor):
            layer, node_index, tensor_index = x._keras_history
            node = layer._inbound_nodes[node_index]
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": tuple(x.shape), "dtype": x.dtype,
                               "keras_history": [layer.name,
                                                 node_index_map.get(id(node), node_index),
                                                 tensor_index]}}
        return x
    return nest.map_structure(conv, structure)


def _struct_refs(structure, ref):
    if isinstance(structure, dict):
        return {k: ref(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [ref(x) for x in structure]
    return ref(structure)


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from `Functional.get_config()` (Keras 3 format)."""
    from ..saving.serialization import deserialize_keras_object
    created = {}
    node_outputs = {}   # (layer name, node index) -> outputs
    pending = []
    for entry in config["layers"]:
        layer = deserialize_keras_object(entry, custom_objects)
        created[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            node_outputs[(entry["name"], 0)] = layer.output
        else:
            pending.extend((entry["name"], i, n) for i, n in
                           enumerate(entry.get("inbound_nodes", [])))

    def resolve(x):
        if isinstance(x, dict) and x.get("class_name") == "__slice__":
            c = x["config"]
            return slice(c["start"], c["stop"], c["step"])
        if isinstance(x, dict) and x.get("class_name") == "__ellipsis__":
            return Ellipsis
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = x["config"]["keras_history"]
            out = node_outputs.get((name, node_index))
            if out is None:
                raise KeyError
            return nest.flatten(out)[tensor_index]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):   # (tuples from get_config, lists after JSON)
            return type(x)(resolve(v) for v in x)
        return x

    while pending:
        progressed = False
        for item in list(pending):
            name, index, node = item
            try:
                args = resolve(node.get("args", []))
                kwargs = resolve(node.get("kwargs", {}))
            except KeyError:
                continue
            node_outputs[(name, index)] = created[name](*args, **kwargs)
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ValueError(f"Could not rebuild the functional graph: layers "
                             f"{[p[0] for p in pending]} have unresolved inputs.")

    def lookup(ref):
        if isinstance(ref, dict):
            return {k: lookup(v) for k, v in ref.items()}
        if ref and isinstance(ref[0], (list, tuple)):
            return [lookup(r) for r in ref]
        name, node_index, tensor_index = ref
        return nest.flatten(node_outputs[(name, node_index)])[tensor_index]
    inputs = lookup(config["input_layers"])
    outputs = lookup(config["output_layers"])
    model_cls = cls if cls not in (Model,) else Functional
    if not issubclass(model_cls, Functional):
        model_cls = Functional
    return model_cls(inputs, outputs, name=config.get("name"),
                     trainable=config.get("trainable", True))
