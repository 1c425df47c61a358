"""Buffer planning: decide, before anything runs, which memory buffer holds each value.

Liveness: a value is live from the node that makes it to its last use (results live to the end).
Walking the nodes in order, each new value gets a buffer:
- *in place* in an input's buffer when the node is elementwise (a plain elementwise op or an
  elementwise fusion), that input has exactly the output's shape and dtype, and this node is the
  input's last use: element i of the output is written after element i of every input is read, so
  overwriting is safe;
- otherwise a *reused* buffer of the same byte size that no live value holds any more;
- otherwise a new buffer.
Views (reshape, expand_dims, squeeze, identity) share their input's buffer and keep it alive.
Values the plan does not own: parameters (the caller's arrays), constants (part of the program),
variable reads (the variable's own buffer: writes replace it, so a read stays a snapshot) and
values whose shape is only known at run time (allocated then). Results are never reused or
overwritten: a caller keeps them after the call.

The pass changes no node: it attaches a MemoryPlan to the graph (`graph.memory_plan`, and to each
cond/while region's graph) for the backends to use.
"""
from ..ops.op_keys import op_set
from .rewrite import graph_pass, regions_first

NAME = "buffer_plan"
SUMMARY = "liveness-based buffer reuse and in-place updates (a memory plan for the backends)"

VIEW_OPS = op_set({"reshape", "expand_dims", "squeeze", "identity", "stop_gradient"})


class MemoryPlan:
    """Where each value of one graph lives.

    - `buffer_of[value id]` -> buffer index, for values held in planned buffers;
    - `buffer_bytes[i]` -> size of buffer i;
    - `kind[value id]` -> "buffer", "view", "param", "constant", "variable" or "dynamic";
    - `in_place`: (node, input position, output position) triples: the output reuses the input's
      buffer;
    - `peak_bytes` (most bytes live at once) and `naive_bytes` (one buffer per value)."""

    def __init__(self, graph_name):
        self.graph_name = graph_name
        self.buffer_of = {}
        self.buffer_bytes = []
        self.kind = {}
        self.in_place = []
        self.peak_bytes = 0
        self.naive_bytes = 0

    @property
    def num_buffers(self):
        return len(self.buffer_bytes)

    def values_in(self, buffer_index):
        return [vid for vid, b in self.buffer_of.items() if b == buffer_index]

    def summary(self):
        plural = "" if self.num_buffers == 1 else "s"
        return (f"{self.num_buffers} buffer{plural}, peak {_size(self.peak_bytes)} live "
                f"(one buffer per value would need {_size(self.naive_bytes)}); "
                f"{len(self.in_place)} in-place update{'' if len(self.in_place) == 1 else 's'}")

    def describe(self, names=None):
        """Multi-line text: one line per buffer with the values it holds over time."""
        names = names or {}
        lines = [f"memory plan for {self.graph_name}: {self.summary()}"]
        for b, nbytes in enumerate(self.buffer_bytes):
            vals = [names.get(vid, f"#{vid}") for vid in self.values_in(b)]
            lines.append(f"  buf{b:<3} {_size(nbytes):>10}  " + " → ".join(vals))
        for node, i, o in self.in_place:
            out, src = node.outputs[o], node.inputs[i]
            what = node.attrs.get("label") if node.op.name == "fusion" else node.op.name
            lines.append(f"  in place: {names.get(out.id, '#%d' % out.id)} ({what}) "
                         f"overwrites {names.get(src.id, '#%d' % src.id)}")
        return "\n".join(lines)

    def __str__(self):
        return self.describe()


def _size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _nbytes(value):
    shape = value.type.shape
    if not shape.is_fully_defined():
        return None
    return shape.num_elements() * value.type.dtype.size


def _is_elementwise(node):
    if node.op.name == "fusion":
        return node.attrs["kind"] == "elementwise"
    return node.op.elementwise and not node.op.effects


@graph_pass
def buffer_plan(graph):
    _plan(graph)


@regions_first
def _plan(graph):
    plan = MemoryPlan(graph.name)
    end = len(graph.nodes)
    last_use = {}
    for i, node in enumerate(graph.nodes):
        for v in node.inputs:
            last_use[v.id] = i
    for r in graph.results:
        last_use[r.id] = end
    for p in graph.data_params:
        plan.kind[p.id] = "param"
    holders = {}     # buffer -> ids of the values living in it
    free = {}        # nbytes -> [buffer indices]
    live_bytes = 0

    def release(b):
        nonlocal live_bytes
        live_bytes -= plan.buffer_bytes[b]
        free.setdefault(plan.buffer_bytes[b], []).append(b)

    for i, node in enumerate(graph.nodes):
        claimed = set()
        for o, v in enumerate(node.outputs):
            if v.is_token:
                continue
            nbytes = _nbytes(v)
            if node.op.name == "constant":
                plan.kind[v.id] = "constant"
                continue
            if node.op.name == "read_variable":
                plan.kind[v.id] = "variable"
                continue
            if nbytes is None:
                plan.kind[v.id] = "dynamic"
                continue
            plan.naive_bytes += nbytes
            src = node.inputs[0] if node.inputs else None
            if node.op in VIEW_OPS and src is not None and src.id in plan.buffer_of:
                b = plan.buffer_of[src.id]
                plan.buffer_of[v.id] = b
                plan.kind[v.id] = "view"
                holders[b].append(v.id)
                continue
            b = _in_place_buffer(node, v, i, plan, last_use, holders, claimed)
            if b is not None:
                plan.in_place.append((node, b[1], o))
                b = b[0]
                claimed.add(b)
            else:
                pool = free.get(nbytes)
                if pool:
                    b = pool.pop(0)
                else:
                    b = len(plan.buffer_bytes)
                    plan.buffer_bytes.append(nbytes)
                    holders[b] = []
                live_bytes += nbytes
            plan.buffer_of[v.id] = b
            plan.kind[v.id] = "buffer"
            holders[b].append(v.id)
        plan.peak_bytes = max(plan.peak_bytes, live_bytes)
        # buffers whose every value is dead after this node become free
        for b in {plan.buffer_of[v.id] for v in node.inputs if v.id in plan.buffer_of} | {
                plan.buffer_of[v.id] for v in node.outputs if v.id in plan.buffer_of}:
            if b in claimed:
                continue
            if all(last_use.get(vid, -1) <= i for vid in holders[b]) and not _is_free(free, b):
                release(b)
    graph.memory_plan = plan


def _is_free(free, b):
    return any(b in pool for pool in free.values())


def _in_place_buffer(node, out, i, plan, last_use, holders, claimed):
    """(buffer, input position) the output may overwrite, or None."""
    if not _is_elementwise(node):
        return None
    for pos, v in enumerate(node.inputs):
        b = plan.buffer_of.get(v.id)
        if b is None or b in claimed or v.type.shape != out.type.shape:
            continue
        if v.type.dtype.size != out.type.dtype.size or plan.buffer_bytes[b] != _nbytes(out):
            continue
        if all(last_use.get(vid, -1) <= i for vid in holders[b]):
            return b, pos
    return None


run = buffer_plan
