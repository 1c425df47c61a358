"""What a compiled GPU function does at run time, as data: buffers and steps.

A Plan holds one kernel module (KernelModule: NVPTX LLVM IR and PTX), the device buffers it
needs (inputs, temporaries, constants, variable mirrors, the error record) and a list of steps:

- `Launch`: one kernel over a grid, its arguments the buffers of its views;
- `Host`: a node run by the interpreter's NumPy kernel, its inputs copied to the host and its
  outputs back (the bytes are counted, explain() shows them);
- `HostCall`: a host-side action between kernels (reserving random-stream counters);
- `LibraryCall`: a device library call between kernels, on their stream (cuBLAS GEMMs:
  k_matmul.py);
- `Grow`: the host growing a TensorArray's device buffer between kernels (k_grow.py: reading
  a write's index back, reallocating by doubling, updating the array's device record);
- `Cond` / `While`: host-driven control flow: the predicate (one element) is read back, then
  the steps of the branch, or of the loop body, run.

`run(plan, loaded, device, arrays, variables)` executes it: inputs are copied to the device,
variables live on the device between calls (a mirror is reused while the variable still holds
the array written back by the last call), results are copied back, written variables are
written back, and a kernel's error record (integer division by zero, index bounds) becomes the
same InvalidArgumentError as on the CPU backend.
"""
import threading

import numpy as np

from ...errors import InvalidArgumentError
from ...runtime.interpreter import run_node


class Buf:
    """One device allocation: kind 'param' | 'temp' | 'const' | 'var' | 'err'."""
    __slots__ = ("index", "nbytes", "kind", "value", "var", "dtype", "shape")

    def __init__(self, index, nbytes, kind, dtype=None, shape=(), value=None, var=None):
        self.index, self.nbytes, self.kind = index, max(int(nbytes), 1), kind
        self.dtype, self.shape, self.value, self.var = dtype, tuple(shape), value, var

    def __repr__(self):
        return f"Buf({self.index}, {self.kind}, {self.nbytes} B)"


class Launch:
    __slots__ = ("kernel", "grid", "block", "bufs")

    def __init__(self, kernel, grid, block, bufs):
        self.kernel, self.grid, self.block, self.bufs = kernel, grid, block, bufs


class Host:
    __slots__ = ("node", "ins", "outs", "reason")

    def __init__(self, node, ins, outs, reason):
        self.node, self.ins, self.outs, self.reason = node, ins, outs, reason

    def bytes_moved(self):
        down = sum(v.ptr.nbytes for v in self.ins if v is not None)
        up = sum(v.ptr.nbytes for v in self.outs)
        return down, up


class Cond:
    __slots__ = ("pred", "then_steps", "else_steps")

    def __init__(self, pred, then_steps, else_steps):
        self.pred, self.then_steps, self.else_steps = pred, then_steps, else_steps


class While:
    __slots__ = ("cond_steps", "pred", "body_steps")

    def __init__(self, cond_steps, pred, body_steps):
        self.cond_steps, self.pred, self.body_steps = cond_steps, pred, body_steps


class HostCall:
    """A host-side action between kernels, e.g. reserving counters of a random stream
    (k_random.py): `run(loaded, device, dev)` gets the loaded module, the device and the
    plan's device buffers; `what` says what it does (explain())."""
    __slots__ = ("run", "what")

    def __init__(self, run, what):
        self.run, self.what = run, what


class LibraryCall:
    """A device library call between kernels, queued on their stream (a cuBLAS GEMM,
    k_matmul.py): `run(device, dev)` gets the device and the plan's device buffers; `what`
    says what it does (explain())."""
    __slots__ = ("run", "what")

    def __init__(self, run, what):
        self.run, self.what = run, what


class Grow:
    """The host growing (or filling, or moving) a TensorArray's device buffer between kernels
    (k_grow.py): `run(loaded, device, state)` gets the plan's _State (its `dev` buffer table,
    which run() may change, and `grow`, the arrays' host-side slots); `what` for explain()."""
    __slots__ = ("run", "what", "array")

    def __init__(self, run, what, array):
        self.run, self.what, self.array = run, what, array


class Plan:
    """The compiled form of one graph for one tuple of input shapes."""

    def __init__(self, buffers, steps, params, results, variables, written, err, errors,
                 kernel_module, annotations, fallbacks):
        self.buffers = buffers          # [Buf]
        self.steps = steps
        self.params = params            # [View] of the data params
        self.results = results          # [View] of the data results
        self.variables = variables      # [(Variable, Buf)]
        self.written = written          # [(Variable, Buf)]
        self.err = err                  # Buf of the error record, or None
        self.errors = errors            # ErrorTable
        self.kernel_module = kernel_module
        self.annotations = annotations  # kernel name -> source annotation
        self.fallbacks = fallbacks      # [(node, reason)]
        self.lock = threading.Lock()
        self.mirrors = {}               # id(var) -> host array the mirror holds
        self.grow_arrays = []           # [k_grow.GrowArray] (run-time sized TensorArrays)

    def _steps_of(self, kind):
        """Every step of class `kind`, in program order, inside conds and loops too."""
        out = []

        def walk(steps):
            for s in steps:
                if isinstance(s, kind):
                    out.append(s)
                elif isinstance(s, Cond):
                    walk(s.then_steps)
                    walk(s.else_steps)
                elif isinstance(s, While):
                    walk(s.cond_steps)
                    walk(s.body_steps)
        walk(self.steps)
        return out

    def host_steps(self):
        return self._steps_of(Host)

    def host_calls(self):
        """The HostCall steps (host actions between kernels, e.g. random-stream counters)."""
        return self._steps_of(HostCall)

    def launches(self):
        return self._steps_of(Launch)

    def library_calls(self):
        """The LibraryCall steps (cuBLAS GEMMs)."""
        return self._steps_of(LibraryCall)

    def grow_steps(self):
        """The Grow steps (TensorArrays grown by the host between kernels)."""
        return self._steps_of(Grow)


class _State:
    """Device buffers of one plan on one device (allocated once, reused by every call)."""

    def __init__(self, plan, device):
        self.device = device
        self.plan = plan
        self.dev = [None] * len(plan.buffers)
        self.grow = {}     # data buffer index -> k_grow.Slot ("grow" buffers: allocated there)
        for b in plan.buffers:
            if b.kind == "const":
                self.dev[b.index] = device.to_device(np.ascontiguousarray(b.value))
            elif b.kind not in ("param", "grow"):
                self.dev[b.index] = device.alloc(b.nbytes)


def run(plan, loaded, device, arrays):
    """Run `plan` on `device` (`loaded`: its LoadedModule) for input arrays -> result arrays."""
    with plan.lock:
        state = getattr(plan, "_state", None)
        if state is None or state.device is not device:
            state = plan._state = _State(plan, device)
        dev = state.dev
        for view, arr in zip(plan.params, arrays):
            dev[view.ptr.index] = device.to_device(np.ascontiguousarray(arr))
        for var, buf in plan.variables:
            if plan.mirrors.get(id(var)) is not var._value:
                value = np.ascontiguousarray(var._value)
                device.copy_htod(dev[buf.index], value)
                plan.mirrors[id(var)] = var._value
        if plan.err is not None:
            device.copy_htod(dev[plan.err.index], np.zeros(8, np.int64))
        try:
            try:
                _run_steps(plan, plan.steps, loaded, device, dev)
            finally:
                for g in plan.grow_arrays:
                    g.finish(state)
            device.synchronize()
            raise_recorded(plan, device, dev)
            outs = [v.to_host(device, state) if hasattr(v, "to_host")
                    else to_host(device, dev, v)
                    for v in plan.results]   # (a grown TensorArray: its rows; k_grow.py)
        except BaseException:
            # a failed call writes no variable back (as on the CPU backend), so a
            # mirror it may have changed must not be reused by the next call
            for var, _ in plan.written:
                plan.mirrors.pop(id(var), None)
            raise
        finally:
            for view in plan.params:
                if dev[view.ptr.index] is not None:
                    dev[view.ptr.index].free()
                    dev[view.ptr.index] = None
        for var, buf in plan.written:
            value = device.to_host(dev[buf.index], np.shape(var._value), var.dtype.np_dtype)
            value.setflags(write=False)
            var._value = value
            plan.mirrors[id(var)] = value
        return outs


def raise_recorded(plan, device, dev):
    """Raise the error a kernel recorded (the CPU backend's InvalidArgumentError), if any; the
    device must be synchronized."""
    if plan.err is not None:
        err = device.to_host(dev[plan.err.index], (8,), np.int64)
        if err[0]:
            message, location = plan.errors.entries[int(err[0]) - 1]
            text = message.format(None, *[int(x) for x in err[1:]])
            raise InvalidArgumentError(text + (f" (at {location})" if location else ""))


def to_host(device, dev, view):
    """The values of a (possibly strided) view, as a fresh C-contiguous array."""
    buf = view.ptr
    np_dt = view.dtype.np_dtype
    if view.size == 0:
        return np.empty(view.shape, np_dt)
    count = buf.nbytes // np_dt.itemsize
    base = device.to_host(dev[buf.index], (count,), np_dt)
    strided = np.lib.stride_tricks.as_strided(
        base[view.offset:], shape=view.shape,
        strides=[s * np_dt.itemsize for s in view.strides])
    return np.array(strided, order="C")


def _run_steps(plan, steps, loaded, device, dev):
    for step in steps:
        if isinstance(step, Launch):
            loaded.launch(step.kernel, grid=step.grid, block=step.block,
                          args=[dev[b.index] for b in step.bufs])
        elif isinstance(step, Host):
            _run_host(step, device, dev)
        elif isinstance(step, HostCall):
            step.run(loaded, device, dev)
        elif isinstance(step, LibraryCall):
            step.run(device, dev)
        elif isinstance(step, Grow):
            step.run(loaded, device, plan._state)
        elif isinstance(step, Cond):
            device.synchronize()
            pred = bool(to_host(device, dev, step.pred).reshape(-1)[0])
            _run_steps(plan, step.then_steps if pred else step.else_steps, loaded, device, dev)
        elif isinstance(step, While):
            while True:
                _run_steps(plan, step.cond_steps, loaded, device, dev)
                device.synchronize()
                if not bool(to_host(device, dev, step.pred).reshape(-1)[0]):
                    break
                if plan.err is not None and \
                        device.to_host(dev[plan.err.index], (1,), np.int64)[0]:
                    raise_recorded(plan, device, dev)   # stop at the first error, as the CPU
                _run_steps(plan, step.body_steps, loaded, device, dev)


def _run_host(step, device, dev):
    device.synchronize()
    it = iter([None if v is None else to_host(device, dev, v) for v in step.ins])
    args = [None if v.is_token else next(it) for v in step.node.inputs]
    results = run_node(step.node, args)
    data = [r for r, v in zip(results, step.node.outputs) if not v.is_token]
    for view, value in zip(step.outs, data):
        arr = np.ascontiguousarray(np.asarray(value, view.dtype.np_dtype).reshape(view.shape))
        if arr.size:
            device.copy_htod(dev[view.ptr.index], arr)


__all__ = ["Buf", "Launch", "Host", "HostCall", "LibraryCall", "Grow", "Cond", "While", "Plan",
           "run", "to_host", "raise_recorded"]
