"""`tf.summary.trace_on` / `trace_export` / `trace_off`: the graphs of the functions traced while
tracing is on, written to the default writer for TensorBoard's Graphs dashboard.

Each traced graph is converted to a TF `GraphDef` (tensorboard's protos): parameters become
`Placeholder` nodes, every IR node a `NodeDef` whose `op` is our op name and whose inputs name the
producing nodes (`node:1` for a second output; effect tokens as control inputs `^node`); a
`cond`/`while_loop` node's regions are added under `<node>/then`, `<node>/body`, ... name scopes;
attributes that are plain values are kept as strings, with `_output_shapes`/dtype. The event
holds `tagged_run_metadata` (tag = the export name; one `FunctionGraphs` entry a function, its
`pre_optimization_graph` the traced graph and `post_optimization_graph` the optimized one) and,
so the run's default graph shows all of them, a `graph_def` with each function under its own name
scope. Graphs are recorded when a function is traced while tracing is on (a function already
traced before `trace_on` and only called afterwards is not recorded). There is no profiler:
`profiler=True` is refused.
"""
import time

from ..tracing import function as _function
from . import writer as _w
from ..tracing.concrete import ConcreteFunction

__all__ = ["trace_on", "trace_off", "trace_export", "graph_def_of", "graph"]

_recorded = []
_active = [False]


def _listener(cf):
    _recorded.append(cf)


def trace_on(graph=True, profiler=False, profiler_outdir=None):
    """Start recording the graphs of functions traced from now on.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> writer = tf.summary.create_file_writer(d)
    >>> f = tf.function(lambda x: x * 2)
    >>> tf.summary.trace_on(graph=True)
    >>> _ = f(tf.constant(1.0))
    >>> with writer.as_default():
    ...     tf.summary.trace_export('double', step=0)
    """
    if profiler:
        raise ValueError("tf.summary.trace_on(profiler=True): autograph_jit has no TF profiler. "
                         "Use graph=True, and ConcreteFunction.explain() for per-stage timings.")
    if _active[0]:
        return
    _active[0] = True
    if graph:
        _function.TRACE_LISTENERS.append(_listener)


def trace_off():
    """Stop recording and drop what was recorded.

    >>> tf.summary.trace_on(graph=True)
    >>> tf.summary.trace_off()
    """
    _active[0] = False
    if _listener in _function.TRACE_LISTENERS:
        _function.TRACE_LISTENERS.remove(_listener)
    _recorded.clear()


def _attr_value(v):
    from tensorboard.compat.proto import attr_value_pb2
    return attr_value_pb2.AttrValue(s=str(v).encode())


def _add_graph(gd, graph, scope):
    from tensorboard.compat.proto import attr_value_pb2, tensor_shape_pb2
    names = {}

    def shape_attr(values):
        lst = attr_value_pb2.AttrValue.ListValue()
        for v in values:
            shp = tensor_shape_pb2.TensorShapeProto()
            t = v.type
            if getattr(t, "shape", None) is None or t.shape.rank is None:
                shp.unknown_rank = True
            else:
                for d in t.shape.as_tuple():
                    shp.dim.add(size=-1 if d is None else d)
            lst.shape.append(shp)
        return attr_value_pb2.AttrValue(list=lst)

    for i, p in enumerate(graph.params):
        name = f"{scope}{p.name or 'arg'}_{i}"
        names[p.id] = name
        nd = gd.node.add(name=name, op="Placeholder")
        nd.attr["_output_shapes"].CopyFrom(shape_attr([p]))
        if not p.is_token:
            nd.attr["dtype"].CopyFrom(_attr_value(p.type.dtype.name))
    for k, node in enumerate(graph.nodes):
        name = f"{scope}{node.name}_{k}"
        for j, out in enumerate(node.outputs):
            names[out.id] = name if j == 0 else f"{name}:{j}"
        nd = gd.node.add(name=name, op=node.op.name)
        for v in node.inputs:
            src = names.get(v.id)
            if src is None:
                continue
            nd.input.append(("^" + src.split(":")[0]) if v.is_token else src)
        nd.attr["_output_shapes"].CopyFrom(shape_attr(node.outputs))
        for key, value in node.attrs.items():
            if isinstance(value, (int, float, str, bool, tuple)) or value is None:
                nd.attr[key].CopyFrom(_attr_value(value))
        if node.location is not None:
            nd.attr["_source"].CopyFrom(_attr_value(node.location.short()))
        for rname, region in _regions(node):
            _add_graph(gd, region, f"{name}/{rname}/")


def _regions(node):
    out = []
    for key, value in node.attrs.items():
        if hasattr(value, "nodes") and hasattr(value, "params"):
            out.append((key, value))
    return out


def graph_def_of(graph, scope=""):
    """A TF `GraphDef` (tensorboard proto) of one IR graph."""
    from tensorboard.compat.proto import graph_pb2
    gd = graph_pb2.GraphDef()
    _add_graph(gd, graph, scope)
    return gd


def trace_export(name, step=None, profiler_outdir=None):
    """Write the recorded graphs to the default writer under tag `name`, then stop tracing.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> writer = tf.summary.create_file_writer(d)
    >>> tf.summary.trace_on(graph=True)
    >>> _ = tf.function(lambda x: x + 1)(tf.constant(1.0))
    >>> with writer.as_default():
    ...     tf.summary.trace_export('plus_one', step=0)
    """
    from tensorboard.compat.proto import config_pb2, event_pb2, graph_pb2
    writer = _w.get_default_writer()
    if step is None:
        step = _w.get_step()
    if step is None:
        raise ValueError("No step set. Please specify one either through the `step` argument or "
                         "through tf.summary.experimental.set_step()")
    step = int(step.numpy() if hasattr(step, "numpy") else step)
    try:
        if writer is None or isinstance(writer, _w._NoopWriter) or not _recorded:
            return
        meta = config_pb2.RunMetadata()
        combined = graph_pb2.GraphDef()
        for cf in _recorded:
            fg = meta.function_graphs.add()
            fg.pre_optimization_graph.CopyFrom(graph_def_of(cf.graph))
            fg.post_optimization_graph.CopyFrom(graph_def_of(cf.optimized_graph))
            _add_graph(combined, cf.graph, f"{cf.name}/")
        wall = time.time()
        writer._add_event(event_pb2.Event(wall_time=wall, step=step,
                                          graph_def=combined.SerializeToString()))
        writer._add_event(event_pb2.Event(
            wall_time=wall, step=step,
            tagged_run_metadata=event_pb2.TaggedRunMetadata(
                tag=name, run_metadata=meta.SerializeToString())))
    finally:
        trace_off()


def graph(graph_data):
    """TF's `tf.summary.graph`: write a graph to the default writer's run (the Graphs dashboard).

    `graph_data`: a `tf.function` (its traced concrete functions), a `ConcreteFunction`, one of
    our IR graphs, or a `GraphDef`. Returns True if written (a default writer exists and
    recording is on), else False.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> cf = tf.function(lambda x: x * 2).get_concrete_function(tf.constant(1.0))
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.graph(cf.graph))
    True
    """
    from tensorboard.compat.proto import event_pb2, graph_pb2
    writer = _w.get_default_writer()
    if writer is None or isinstance(writer, _w._NoopWriter) or not _recording():
        return False
    if isinstance(graph_data, graph_pb2.GraphDef):
        gd = graph_data
    else:
        functions = _concrete_functions(graph_data)
        gd = graph_pb2.GraphDef()
        for cf in functions:
            _add_graph(gd, cf.graph, f"{cf.name}/" if len(functions) > 1 else "")
        if not functions:
            _add_graph(gd, graph_data, "")
    writer._add_event(event_pb2.Event(wall_time=time.time(), step=0,
                                      graph_def=gd.SerializeToString()))
    return True


def _recording():
    cond = _w._condition_value()
    return bool(cond.numpy()) if hasattr(cond, "numpy") else bool(cond)


def _concrete_functions(obj):
    if isinstance(obj, ConcreteFunction):
        return [obj]
    if isinstance(obj, _function.Function):
        found = []
        for cf in obj._cache.values():     # one entry per trace (a trace may sit under 2 keys)
            if all(cf is not f for f in found):
                found.append(cf)
        if not found:
            raise ValueError("tf.summary.graph: this tf.function has not been traced yet; call it "
                             "(or get_concrete_function) first.")
        return list(found)
    if hasattr(obj, "nodes") and hasattr(obj, "params"):
        return []
    raise TypeError(f"tf.summary.graph expects a tf.function, a ConcreteFunction, a graph or a "
                    f"GraphDef, got {type(obj).__name__}.")
