"""TensorArrays that grow at run time on the GPU: the device form of the CPU backend's growable
record (codegen/llvm/k_grow.py; specialize.py decides which values are growable).

A growable value is a `GrowArray`: a plan buffer of kind "grow" whose device allocation the
host replaces as it grows (launches read the plan's buffer table when they run, so the kernels
after a reallocation see the new one) and a 32-byte device record [count, placeholder, lo, hi]
(int64) that kernels read. Loops on the GPU are host-driven (control.py), so growth is done by
the host between kernels, as `Grow` plan steps (plan.py):

- create: a static array (or the rank-1 placeholder of an array without an element shape)
  starts growing: capacity for its rows is reserved, then a kernel copies them in (zeros for a
  placeholder);
- write: the index is read back (one element; a synchronisation, like a loop's predicate),
  checked with eager's messages; past the end the buffer is reserved for index + 1 rows
  (capacity doubling from 16 rows: a new allocation, the rows copied device-to-device, the old
  one freed), the gap rows zeroed by a kernel, the record updated; then a kernel copies the row
  in;
- read, shape, size: kernels that read the device record (no read-back; a read past `count`
  or of a still-placeholder array raises eager's error through the error record);
- move: a cond output takes a branch's buffer over (nothing copied).

A grown array that a later op needs at its exact size (`stack()`, arithmetic) ends the plan
there (function.py splits the function, as the CPU backend's partitioner does): the rows come
back to the host and the rest is compiled for the size reached. The buffer and its capacity
stay allocated between calls (reused). `explain()` shows each array's reallocations, the bytes
they allocated and copied, and the index read-backs (`report_lines`).
"""
import numpy as np

from ... import dtypes
from ...errors import InvalidArgumentError, ResourceExhaustedError
from ..llvm.emit import View, i64, I64
from ..llvm.k_grow import MAX_BYTES, MIN_ROWS, GrowRows
from ..llvm.k_array import NotLowerable
from ..llvm.scalar import ScalarEmitter, cast_value
from .k_map import emit_copy, emit_map, unravel
from .kernel import GpuKernel
from .plan import Grow, raise_recorded, to_host

COUNT, PLACEHOLDER, LO, HI = range(4)


class GrowArray(GrowRows):
    """A growable value on the GPU: its data buffer (kind "grow"), device record, element."""
    __slots__ = ("data", "rec", "dtype", "elem", "label", "stats")

    def __init__(self, lw, dtype, elem, label):
        self.dtype = dtype
        self.elem = tuple(int(d) for d in elem)
        self.data = lw.new_buf(1, "grow", dtype, (0, *self.elem))
        self.rec = lw.new_buf(32, "temp", dtypes.int64, (4,))
        self.label = label
        self.stats = GrowStats()
        lw.grow_arrays.append(self)

    def data_view(self, rows=1):
        return View(self.data, self.dtype, (rows, *self.elem))

    def rec_view(self):
        return View(self.rec, dtypes.int64, (4,))

    def to_host(self, device, state):
        """The rows of a grown result as a fresh array [count, *elem] (a placeholder: [count]
        zeros), copied back after the call (plan.py)."""
        s = _slot(state, self)
        np_dt = self.dtype.np_dtype
        if s.placeholder:
            return np.zeros((s.count,), np_dt)
        n = s.count * self.row_elems
        if not n:
            return np.zeros((s.count, *self.elem), np_dt)
        return device.to_host(state.dev[self.data.index], (n,), np_dt).reshape(
            (s.count, *self.elem))

    def finish(self, state):
        """Fold this call's counters into `stats` (explain())."""
        s = state.grow.get(self.data.index)
        if s is None:
            return
        st = self.stats
        st.calls += 1
        st.reallocs += s.last[0]
        st.alloc_bytes += s.last[1]
        st.copied_bytes += s.last[2]
        st.readbacks += s.last[3]
        st.rows = max(st.rows, s.count)
        st.rows_bytes = s.count * self.row_bytes
        st.last = tuple(s.last)
        s.last = [0, 0, 0, 0]


class GrowStats:
    """What growing cost on the host side, over all calls and in the last one."""
    __slots__ = ("calls", "reallocs", "alloc_bytes", "copied_bytes", "readbacks", "rows",
                 "last", "rows_bytes")

    def __init__(self):
        self.calls = self.reallocs = self.alloc_bytes = self.copied_bytes = 0
        self.readbacks = self.rows = 0
        self.rows_bytes = 0        # the rows it held at the end of the last call
        self.last = (0, 0, 0, 0)   # (reallocations, bytes allocated, copied, read-backs)


class Slot:
    """The host's view of one GrowArray on one device: allocation, capacity, count, flag."""
    __slots__ = ("cap", "count", "placeholder", "last")

    def __init__(self):
        self.cap = self.count = self.placeholder = 0
        self.last = [0, 0, 0, 0]   # this call's reallocations, bytes allocated, copied, reads


def _slot(state, g):
    s = state.grow.get(g.data.index)
    if s is None:
        s = state.grow[g.data.index] = Slot()
    return s


def _store_record(device, state, g, s, lo=0, hi=0):
    device.copy_htod(state.dev[g.rec.index],
                     np.array([s.count, s.placeholder, lo, hi], np.int64))


def _reserve(device, state, g, s, rows, where):
    """Capacity >= rows: a new allocation (doubling, at least MIN_ROWS rows), the first `count`
    rows copied device-to-device, the old allocation freed."""
    if rows <= s.cap and state.dev[g.data.index] is not None:
        return
    row_bytes = g.row_bytes
    limit = MAX_BYTES // max(row_bytes, 1)
    if rows > limit:
        raise ResourceExhaustedError(None, None, f"TensorArray.write: cannot grow the array to "
                                                 f"{rows} elements: out of memory{where}")
    new = min(max(2 * s.cap, rows, MIN_ROWS), limit)
    nbytes = max(new * row_bytes, 1)
    buf = device.alloc(nbytes)
    old = state.dev[g.data.index]
    copied = s.count * row_bytes
    if old is not None:
        if copied:
            device.copy_dtod(buf, old, copied)
        old.free()
    state.dev[g.data.index] = buf
    s.cap = new
    s.last[0] += 1
    s.last[1] += nbytes
    s.last[2] += copied if old is not None else 0


def _where(node):
    return f" (at {node.location.short()})" if node.location is not None else ""


def label(node):
    loc = f" at {node.location.short()}" if node.location is not None else ""
    return f"{node.op.name}{loc}"


# -- kernels ------------------------------------------------------------------------------------
def _index(k, s, view, p):
    return cast_value(s, k.load(k.ptrs[p], view.dtype, i64(view.offset)), view.dtype,
                      dtypes.int64)


def _row_copy_kernel(lw, node, g, val, iv):
    """data[i] = val with i read from the index buffer (the host checked 0 <= i < capacity)."""
    k = GpuKernel(lw.module, lw.fresh_name("ta_grow_write"), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    base = b.mul(_index(k, s, iv, 2), i64(g.row_elems))

    def body(e):
        idx = unravel(b, e, list(val.shape))
        k.store(k.load(k.ptrs[1], val.dtype, k.linear(val.offset, val.strides, idx)),
                k.ptrs[0], g.dtype, b.add(base, e))
    k.grid_stride(val.size, body)
    lw.launch(k, n_threads=val.size, views=[g.data_view(), val, iv])


def _zero_kernel(lw, node, g):
    """Elements [rec.lo, rec.hi) of the data = 0 (a write past the end leaves a gap); the host
    launches it with a grid for the gap. Returns the kernel's name."""
    k = GpuKernel(lw.module, lw.fresh_name("ta_grow_zero"), 2, lw.annotate(node))
    b = k.b
    lo = k.load(k.ptrs[1], dtypes.int64, i64(LO))
    hi = k.load(k.ptrs[1], dtypes.int64, i64(HI))
    zero = ScalarEmitter(k, lw.errors).const(g.dtype, 0)
    tid = b.zext(k.sreg("tid"), I64)
    ntid = b.zext(k.sreg("ntid"), I64)
    start = b.add(lo, b.add(b.mul(b.zext(k.sreg("ctaid"), I64), ntid), tid))
    step = b.mul(ntid, b.zext(k.sreg("nctaid"), I64))
    k.strided_range(start, hi, step, lambda e: k.store(zero, k.ptrs[0], g.dtype, e), "z")
    fn = k.finish()
    lw.annotations[fn.name] = k.annotation
    return fn.name


def _read_kernel(lw, node, g, iv, out, placeholder):
    k = GpuKernel(lw.module, lw.fresh_name("ta_grow_read"), 4, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    i = _index(k, s, iv, 2)
    count = k.load(k.ptrs[3], dtypes.int64, i64(COUNT))
    code = lw.errors.code("TensorArray.read: index {1} is out of range for a TensorArray of "
                          "size {2}", lw.where(node))
    k.fail(b.icmp_unsigned(">=", i, count), code, [i, count])
    if placeholder:
        code = lw.errors.code("TensorArray.read: element {1} was never written and the array "
                              "has no element shape yet. Fix: tf.TensorArray(..., "
                              "element_shape=...), or write before reading", lw.where(node))
        flag = k.load(k.ptrs[3], dtypes.int64, i64(PLACEHOLDER))
        k.fail(b.icmp_signed("!=", flag, i64(0)), code, [i])
    base = b.mul(i, i64(g.row_elems))

    def body(e):
        idx = unravel(b, e, list(out.shape))
        k.store(k.load(k.ptrs[1], g.dtype, b.add(base, e)), k.ptrs[0], out.dtype,
                k.linear(out.offset, out.strides, idx))
    if out.size:
        k.grid_stride(out.size, body)
    lw.launch(k, n_threads=max(out.size, 1), views=[out, g.data_view(), iv, g.rec_view()])


def _shape_kernel(lw, node, g, out, placeholder):
    """shape [count, *elem] or size (count * row, or count for a placeholder) into `out`."""
    k = GpuKernel(lw.module, lw.fresh_name("ta_grow_" + node.op.name), 2, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    count = k.load(k.ptrs[1], dtypes.int64, i64(COUNT))
    if not out.shape:
        n = b.mul(count, i64(g.row_elems))
        if placeholder:
            flag = k.load(k.ptrs[1], dtypes.int64, i64(PLACEHOLDER))
            n = b.select(b.icmp_signed("!=", flag, i64(0)), count, n)
        vals = [n]
    else:
        vals = [count] + [i64(d) for d in g.elem]
    for j, v in enumerate(vals):
        k.store(cast_value(s, v, dtypes.int64, out.dtype), k.ptrs[0], out.dtype,
                i64(out.offset + j * (out.strides[0] if out.shape else 0)))
    lw.launch(k, grid=(1, 1, 1), block=(1, 1, 1), views=[out, g.rec_view()])


# -- lowerings ----------------------------------------------------------------------------------
def create(lw, node, init, elem, placeholder):
    """A GrowArray holding the static array `init` (rows of `elem`, or the rank-1 placeholder);
    lowered inside a loop it is refilled each time (its allocation is reused)."""
    g = GrowArray(lw, init.dtype, elem, label(node))
    fill(lw, node, g, init, placeholder)
    return g


def fill(lw, node, g, init, placeholder):
    """g's rows = the static array `init` (the placeholder: that many zero rows)."""
    n0 = int(init.shape[0]) if init.shape else 0
    where = _where(node)

    def run(loaded, device, state):
        s = _slot(state, g)
        s.count = 0
        _reserve(device, state, g, s, n0, where)
        s.count, s.placeholder = n0, int(placeholder)
        _store_record(device, state, g, s)
    lw.steps.append(Grow(run, f"{g.label}: reserve {n0} rows", g))
    if not n0 or not g.row_elems:
        return
    rows = g.data_view(n0)
    if placeholder:
        emit_map(lw, "zeros", [rows], [], lambda s, vals: [s.const(g.dtype, 0)],
                 lw.annotate(node))
    elif init.size:
        emit_copy(lw, rows, init, "TensorArray rows")


def lower_write(lw, node, g, iv, val, dynamic):
    """tensor_array_write into `g` in place (grown when `dynamic`)."""
    if tuple(val.shape) != g.elem and not lw.spec(node.data_inputs[0]).placeholder:
        raise NotLowerable("tensor_array_write of a value with another element shape")
    where = _where(node)
    zero = _zero_kernel(lw, node, g) if g.row_elems else None
    block = lw.launch_config.block
    err = lw.err

    def run(loaded, device, state):
        s = _slot(state, g)
        device.synchronize()
        i = int(to_host(device, state.dev, iv).reshape(-1)[0])
        s.last[3] += 1
        if i < 0:
            raise_recorded(state.plan, device, state.dev)   # an earlier kernel's error first
            raise InvalidArgumentError(f"TensorArray.write: index {i} is negative{where}")
        if i >= s.count:
            if not dynamic:
                raise_recorded(state.plan, device, state.dev)
                raise InvalidArgumentError(
                    f"TensorArray.write: tried to write to index {i} but the array is not "
                    f"resizeable and its size is {s.count}. Fix: tf.TensorArray(..., "
                    f"dynamic_size=True).{where}")
            _reserve(device, state, g, s, i + 1, where)
            lo, hi = s.count * g.row_elems, i * g.row_elems
            s.count = i + 1
            s.placeholder = 0
            _store_record(device, state, g, s, lo, hi)
            if hi > lo and zero is not None:
                grid = max(1, min(lw.launch_config.max_blocks, -(-(hi - lo) // block)))
                loaded.launch(zero, grid=(grid, 1, 1), block=(block, 1, 1),
                              args=[state.dev[g.data.index], state.dev[g.rec.index],
                                    state.dev[err.index]])
        elif s.placeholder:
            s.placeholder = 0
            _store_record(device, state, g, s)
    lw.steps.append(Grow(run, f"{g.label}: index read back, grown by doubling", g))
    if val.size:
        _row_copy_kernel(lw, node, g, val, iv)
    return g


def lower_tensor_array_write(lw, node):
    """A write whose result grows at run time: into the array's GrowArray (made here when a
    static array starts growing)."""
    buf_v, i_v, val_v = node.data_inputs
    buf, iv, val = lw.view(buf_v), lw.view(i_v), lw.view(val_v)
    if not isinstance(buf, GrowArray):
        buf = create(lw, node, buf, val.shape, len(buf.shape) != len(val.shape) + 1)
    lw.bind(node.outputs[0], lower_write(lw, node, buf, iv, val, node.attrs["dynamic_size"]))


def lower_tensor_array_read(lw, node):
    """A read of a grown array's row (checked against its run-time count on the device)."""
    buf_v, i_v = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    _read_kernel(lw, node, lw.view(buf_v), lw.view(i_v), out, lw.spec(buf_v).placeholder)
    lw.bind(node.outputs[0], out)


def lower_shape(lw, node):
    """shape / size of a grown TensorArray (static shapes are folded earlier)."""
    g = lw.view(node.data_inputs[0])
    if not isinstance(g, GrowArray):
        raise NotLowerable(f"{node.op.name} of a value whose shape was not folded")
    out = lw.alloc_for(node.outputs[0])
    _shape_kernel(lw, node, g, out, lw.spec(node.data_inputs[0]).placeholder)
    lw.bind(node.outputs[0], out)


def move(lw, node, dst, src):
    """dst takes src's allocation over (dst's old one is freed; src is left empty): a branch's
    array becomes the cond's output without copying rows."""
    def run(loaded, device, state):
        a, b = _slot(state, dst), _slot(state, src)
        old = state.dev[dst.data.index]
        if old is not None:
            old.free()
        state.dev[dst.data.index] = state.dev[src.data.index]
        state.dev[src.data.index] = None
        a.cap, a.count, a.placeholder = b.cap, b.count, b.placeholder
        b.cap = b.count = 0
        _store_record(device, state, dst, a)
    lw.steps.append(Grow(run, f"{dst.label}: takes a branch's array over", dst))


def report_lines(arrays):
    """explain()'s lines: each grown array's reallocations, bytes and index read-backs."""
    lines = []
    for g in arrays:
        st = g.stats
        last = st.last
        shape = ", ".join(["?", *map(str, g.elem)])
        lines.append(
            f"grown TensorArray {g.dtype.name}[{shape}] ({g.label}): grown on the device by the host between kernels (capacity "
            f"doubling); last call: {last[0]} reallocations, {last[1]} B allocated, {last[2]} B "
            f"copied device-to-device, {last[3]} index read-backs; {st.calls} calls: "
            f"{st.reallocs} reallocations, {st.alloc_bytes} B allocated, {st.copied_bytes} B "
            f"copied, at most {st.rows} rows")
    return lines


LOWERINGS = {"shape": lower_shape, "size": lower_shape}

__all__ = ["GrowArray", "create", "fill", "lower_write", "lower_tensor_array_write",
           "lower_tensor_array_read", "lower_shape", "move",
           "report_lines", "LOWERINGS"]
