"""Lowering one specialized graph to one LLVM module with a single entry function.

    i32 agj_entry(ptr objs)

`objs` is a Python tuple of NumPy arrays, read directly (CPython tuple items at offset 24, an
ndarray's data pointer at offset 16; checked once per process by executable.py):
[inputs..., outputs..., variable buffers..., new buffers of written variables..., written
flags, workspace, error record]. The function returns 0, or an error code (the ErrorTable says
which message); `host_callback(i64 entry, ptr pointers)` (its address in the error record's last
slot, so the IR, and the disk cache, stay process-independent) runs a node on the interpreter (tf.print,
RNG, ops without a native lowering).

Errors leave through one `fail` block that frees the heap buffers of TensorArrays grown in
native code (k_grow.py) before it returns the code; a grown array that is a result is handed to
the caller (dynamic_exe.py) instead.

Storage: every value gets a View. Node outputs go to fresh storage: the caller's output array when
the value is a result of the function, a stack slot when tiny (so LLVM keeps loop scalars in
registers), else an offset in the per-executable workspace. View ops alias their input.
"""
import numpy as np
from llvmlite import ir

from ...ops.op_keys import op_of, op_set
from ...runtime import cpu_engine
from .emit import I8, I32, I64, PTR, SMALL_BYTES, View, i32, i64, storage_type
from .k_array import VIEW_OPS, lower_runtime_shape
from .scalar import ERR_CALLBACK_SLOT, ErrorTable
from .symdim import SYMBOLIC_SLOT, Dim, SymbolicUnsupported, is_symbolic, numel
from ...dtypes import as_dtype
from .dispatch import lower_node
from .k_grow import free_records, GrowView, hand_over
from .k_map import emit_copy

ALIGN = 64
# ops whose output aliases existing storage (a view, a variable's buffer, a constant)
_VIEW_LIKE = op_set(VIEW_OPS | {"read_variable", "constant"})
_ASSIGN_VARIABLE = op_of("assign_variable")


class Lowerer:
    def __init__(self, graph, specs, variables, written, name="agj_entry", math_provider=None):
        self.graph = graph
        self.specs = specs
        self.module = ir.Module(name=graph.name)
        info = cpu_engine.host_info()
        self.module.triple = info["triple"]
        self.module.data_layout = info["data_layout"]
        self.errors = ErrorTable()
        self.math_provider = math_provider
        self.annotations = {}      # kernel function name -> comment for llvm_ir()
        self.shared_maps = {}      # k_map.py: kernels shared by nodes, key -> (kernel, calls)
        self.fusion_bodies = None  # k_map.py: top-level fusions' body keys and their counts
        self.host_nodes = []       # host callback entries: (node, in specs/views, out views)
        self.fallbacks = []        # (node, reason) for explain()
        self.views = {}
        self._names = {}
        self.depth = 0             # region nesting (0: top level)
        self.ws_size = 0
        self.ws_per_n = 0          # workspace bytes per unit of the symbolic dim (symdim.py)
        self.variables = variables  # [Variable]
        self.written = written      # [Variable] written anywhere
        self.records = []           # growable TensorArray records (k_grow.py), freed on exit
        self._fail_block = None     # every error exit goes through it (frees the records)
        self.into_buffer = {}       # value id -> View it is computed into (effects.py swaps)
        self.swaps = {}             # id(variable) -> its double buffer in the loop being lowered
        self.early = None           # early_parts.EarlyParts: kernel parts compiled while lowering
        self._build_entry()

    # -- entry function and argument slots -----------------------------------------------------
    def _build_entry(self):
        g = self.graph
        n_in, n_out = len(g.data_params), len(g.data_results)
        self.slot_in = list(range(n_in))
        self.slot_out = list(range(n_in, n_in + n_out))
        base = n_in + n_out
        self.slot_var = {id(v): base + k for k, v in enumerate(self.variables)}
        base += len(self.variables)
        self.slot_new = {id(v): base + k for k, v in enumerate(self.written)}
        base += len(self.written)
        self.slot_flags, self.slot_ws, self.slot_err = base, base + 1, base + 2
        self.n_slots = base + 3
        fnty = ir.FunctionType(I32, [PTR])
        self.fn = ir.Function(self.module, fnty, name="agj_entry")
        (self.objs,) = self.fn.args
        entry = self.fn.append_basic_block("entry")
        self.b = ir.IRBuilder(entry)
        self._ptrs = {}
        for slot in range(self.n_slots):
            item = self.b.load(self.b.gep(self.objs, [i64(3 + slot)], source_etype=I64), typ=PTR)
            self._ptrs[slot] = self.b.load(self.b.gep(item, [i64(2)], source_etype=I64), typ=PTR)
        # inputs must be C-contiguous (NPY_ARRAY_C_CONTIGUOUS in PyArrayObject.flags at +64)
        for slot in self.slot_in:
            item = self.b.load(self.b.gep(self.objs, [i64(3 + slot)], source_etype=I64), typ=PTR)
            flags = self.b.load(self.b.gep(item, [i64(64)], source_etype=I8), typ=I32)
            bad = self.b.icmp_unsigned("==", self.b.and_(flags, i32(1)), i32(0))
            with self.b.if_then(bad, likely=False):
                self.b.ret(i32(-2))
        self.ws_ptr = self._ptrs[self.slot_ws]
        self.err_ptr = self._ptrs[self.slot_err]
        # the host callback's address sits in the error record's last slot (set per process)
        self.cb = self.b.load(self.b.gep(self.err_ptr, [i64(ERR_CALLBACK_SLOT)],
                                         source_etype=I64), typ=PTR)
        self.flags_ptr = self._ptrs[self.slot_flags]
        self._n = None
        self._ws_static = None  # global holding the final static workspace size (symbolic)
        self._alloca_anchor = self.b.branch(self.fn.append_basic_block("body"))
        self.ab = ir.IRBuilder(entry)
        self.ab.position_before(self._alloca_anchor)
        self.b.position_at_end(self.fn.blocks[-1])
        self.var_slots = {}
        for v in self.written:
            slot = self.ab.alloca(PTR)
            self.ab.store(self._ptrs[self.slot_var[id(v)]], slot)
            self.var_slots[id(v)] = slot

    def dim(self, d):
        """An i64 value (valid anywhere in the entry function) for an int or a Dim."""
        if not isinstance(d, Dim):
            return i64(d)
        if self._n is None:
            self._n = self.ab.load(self.ab.gep(self.err_ptr, [i64(SYMBOLIC_SLOT)],
                                               source_etype=I64), typ=I64)
        return self._n if d.coef == 1 else self.ab.mul(self._n, i64(d.coef), flags=["nsw"])

    def slot_ptr(self, slot):
        return self._ptrs[slot]

    # -- names, locations ----------------------------------------------------------------------
    def fresh_name(self, base):
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in base)
        k = self._names.get(base, 0)
        self._names[base] = k + 1
        return f"k_{base}_{k}"

    def where(self, node):
        loc = node.location
        return loc.short() if loc is not None else ""

    def annotate(self, node, label=None):
        loc = node.location
        text = f"{node.op.name}" + (f" [{label}]" if label else "")
        if loc is not None:
            src = (loc.source or "").strip()
            text += f"  from {loc.short()}" + (f": {src}" if src else "")
        return text

    # -- values --------------------------------------------------------------------------------
    def spec(self, value):
        return self.specs[value.id]

    def view(self, value):
        return self.views[value.id]

    def bind(self, value, view):
        self.views[value.id] = view

    def alloc_spec(self, dtype, shape):
        count = numel(shape)
        if isinstance(count, Dim):
            # after every static buffer: offset = (final static size) + ws_per_n so far * n;
            # the static size is a constant global filled in by lower_function
            if self._ws_static is None:
                self._ws_static = ir.GlobalVariable(self.module, I64, name="agj_ws_static")
                self._ws_static.global_constant = True
                self._ws_static.linkage = "internal"
            base = self.ab.load(self._ws_static, typ=I64)
            per_n = (count.coef * dtype.size + ALIGN - 1) // ALIGN * ALIGN
            at = self.ab.add(base, self.ab.mul(self.dim(Dim(1)), i64(self.ws_per_n)))
            self.ws_per_n += per_n
            return View(self.ab.gep(self.ws_ptr, [at], source_etype=I8), dtype, shape)
        nbytes = int(count) * dtype.size
        if nbytes <= SMALL_BYTES:
            slot = self.ab.alloca(ir.ArrayType(I8, max(nbytes, 1)))
            slot.align = 16
            return View(slot, dtype, shape)
        offset = self.ws_size
        self.ws_size += (nbytes + ALIGN - 1) // ALIGN * ALIGN
        ptr = self.ab.gep(self.ws_ptr, [i64(offset)], source_etype=I8)
        return View(ptr, dtype, shape)

    def alloc_for(self, value):
        """Fresh storage for a node output; the caller's output array for a function result."""
        into = self.into_buffer.pop(value.id, None)
        if into is not None:  # a loop's double-buffered variable (effects.py)
            return into
        spec = self.spec(value)
        var = self._into_var.pop(value.id, None) if self.depth == 0 else None
        if var is not None:  # the value's only destination is a variable's new buffer
            return View(self._ptrs[self.slot_new[id(var)]], spec.dtype, spec.shape)
        k = self._direct.pop(value.id, None) if self.depth == 0 else None
        if k is not None:
            view = View(self._ptrs[self.slot_out[k]], spec.dtype, spec.shape)
            self._direct_done[k] = view.root
            return view
        return self.alloc_spec(spec.dtype, spec.shape)

    def constant_view(self, arr):
        arr = np.array(arr, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
        data = bytearray(arr.tobytes()) or bytearray(1)
        gv = ir.GlobalVariable(self.module, ir.ArrayType(I8, len(data)),
                               name=self.fresh_name("const"))
        gv.global_constant = True
        gv.linkage = "internal"
        gv.align = 64
        gv.initializer = ir.Constant(ir.ArrayType(I8, len(data)), data)
        return View(gv, as_dtype(arr.dtype), arr.shape)

    # -- kernels -------------------------------------------------------------------------------
    def view_ptr(self, view):
        if view.offset == 0:
            return view.ptr
        return self.b.gep(view.ptr, [i64(view.offset)], source_etype=storage_type(view.dtype))

    def call_kernel(self, kernel, views, ints=()):
        """Call `kernel` (finished here; a kernel shared by several nodes is called once for
        each) with the views' pointers and the i64 values `ints`."""
        fn = kernel.finish()
        if kernel.annotation:
            self.annotations.setdefault(fn.name, kernel.annotation)
        if self.early is not None:
            self.early.kernel_called(fn)
        status = self.b.call(fn, [self.view_ptr(v) for v in views] + list(ints) + [self.err_ptr])
        self.check_status(status)

    def check_status(self, status):
        fail = self.b.icmp_signed("!=", status, i32(0))
        with self.b.if_then(fail, likely=False):
            self.exit_with(status)

    def exit_with(self, status):
        """Return `status` (non-zero) from the entry function, freeing growable records."""
        if self._fail_block is None:
            self._fail_block = self.fn.append_basic_block("fail")
            self._fail_status = self.ab.alloca(I32)
        self.b.store(status, self._fail_status)
        self.b.branch(self._fail_block)

    def fail_if(self, cond, code, values=()):
        """In the entry function: if `cond` (i1), report error `code` with `values` (err[1..])."""
        b = self.b
        with b.if_then(cond, likely=False):
            b.store(i64(code), b.gep(self.err_ptr, [i64(0)], source_etype=I64))
            for k, v in enumerate(values):
                if v.type != I64:
                    v = b.sext(v, I64)
                b.store(v, b.gep(self.err_ptr, [i64(k + 1)], source_etype=I64))
            self.exit_with(i32(code))

    # -- the graph -----------------------------------------------------------------------------
    def lower_function(self):
        g = self.graph
        self._direct = {}
        self._direct_done = {}
        produced = {v.id for n in g.nodes for v in n.outputs}
        for k, r in enumerate(g.data_results):
            if r.id in produced and r.id not in self._direct and not _is_view_like(r):
                self._direct[r.id] = k
        self._into_var = _assigned_in_place(g, self._direct)
        for p, slot in zip(g.data_params, self.slot_in):
            spec = self.spec(p)
            self.bind(p, View(self._ptrs[slot], spec.dtype, spec.shape))
        for p in g.params:
            if p.is_token:
                self.views[p.id] = None
        self._written_after = _written_after(g.nodes)
        self._written_before = _written_before(g.nodes)
        for i, node in enumerate(g.nodes):
            self.top_index = i
            self.lower_node(node)
        grown = [(k, self.view(r)) for k, r in enumerate(g.data_results)
                 if isinstance(self.view(r), GrowView)]
        for k, r in enumerate(g.data_results):
            v = self.view(r)
            if isinstance(v, GrowView):
                continue
            if self._direct_done.get(k) == v.root and v.ptr is self._ptrs[self.slot_out[k]]:
                continue
            spec = self.spec(r)
            if isinstance(numel(spec.shape), Dim) or spec.size:
                emit_copy(self, View(self._ptrs[self.slot_out[k]], spec.dtype, spec.shape), v)
        hand_over(self, [(self._ptrs[self.slot_out[k]], v) for k, v in grown])
        if self._ws_static is not None:
            self._ws_static.initializer = ir.Constant(I64, self.ws_size)
        self._free_records(self.b)
        self.b.ret(i32(0))
        if self._fail_block is not None:
            fb = ir.IRBuilder(self._fail_block)
            self._free_records(fb)
            fb.ret(fb.load(self._fail_status, typ=I32))
        return self.module

    def _free_records(self, b):
        if self.records:
            free_records(self, b)

    def lower_region(self, graph, args):
        """Lower a region's nodes inline; args are Views (None for tokens) for its params."""
        for p, a in zip(graph.params, args):
            self.views[p.id] = a
        self.depth += 1
        try:
            for node in graph.nodes:
                self.lower_node(node)
        finally:
            self.depth -= 1

    def written_earlier(self, var):
        """Might `var` have been written before the current top-level node (0 depth only)?"""
        return id(var) in self._written_before[self.top_index]

    def written_later(self, var):
        """Is `var` written after the current top-level node (0 depth only)?"""
        return id(var) in self._written_after[self.top_index]

    def lower_node(self, node):
        if node.op.name in ("shape", "size") and is_symbolic(self.spec(node.inputs[0]).shape):
            return lower_runtime_shape(self, node)
        try:
            lower_node(self, node)
        except SymbolicUnsupported as e:  # (say which op, for explain())
            raise SymbolicUnsupported(f"{node.op.name}: {e}") from None


def _is_view_like(value):
    node = value.node
    return node is None or node.op in _VIEW_LIKE


def _assigned_in_place(graph, direct):
    """{value id: variable} for top-level `v.assign(value)` where the value can be computed
    straight into the variable's new buffer: v is written once in the whole graph, the value
    is made by a top-level node (not a view, parameter or result) and assigned nowhere else."""
    writes = {}
    for n in graph.walk():
        if n.op is _ASSIGN_VARIABLE:
            writes[id(n.attrs["var"])] = writes.get(id(n.attrs["var"]), 0) + 1
    top = {v.id for n in graph.nodes for v in n.outputs}
    out, seen = {}, set()
    for n in graph.nodes:
        if n.op is not _ASSIGN_VARIABLE:
            continue
        var, value = n.attrs["var"], n.data_inputs[0]
        if (writes[id(var)] == 1 and value.id in top and value.id not in direct
                and value.id not in seen and not _is_view_like(value)
                and value.type.dtype is var.dtype):
            out[value.id] = var
        seen.add(value.id)
    return out


def _written_after(nodes):
    """For each top-level node index i, ids of variables written by nodes after i."""
    out = [None] * len(nodes)
    acc = set()
    for i in range(len(nodes) - 1, -1, -1):
        out[i] = frozenset(acc)
        for n in _walk(nodes[i]):
            if n.op is _ASSIGN_VARIABLE:
                acc.add(id(n.attrs["var"]))
    return out


def _written_before(nodes):
    """For each top-level node index i, ids of variables written by nodes before i."""
    out, acc = [], set()
    for node in nodes:
        out.append(frozenset(acc))
        for n in _walk(node):
            if n.op is _ASSIGN_VARIABLE:
                acc.add(id(n.attrs["var"]))
    return out


def _walk(node):
    yield node
    for g in node.regions.values():
        for n in g.walk():
            yield n


__all__ = ["Lowerer", "ERR_CALLBACK_SLOT"]
