"""The GPU device check (issue 17): one command for a machine with an NVIDIA GPU, under 5 minutes.

    python benchmarks/gpu_check.py              # on the GPU machine (AUTOGRAPH_JIT_GPU=cuda)
    python benchmarks/gpu_check.py --dry-run    # anywhere: the grid emulator, tiny sizes

It (1) says what it found (device, driver, ptxas, libdevice, peers), (2) runs the GPU test
subset for real (`pytest -m gpu` on tests/runtime_gpu and tests/codegen/gpu with
AUTOGRAPH_JIT_GPU=cuda), and (3) prints one table: the elementwise chain on 64M float32 in GB/s
against the device-to-device copy bandwidth measured in the same run, a row reduction, a 4096²
float32 matmul in TFLOP/s (two rows: the generated tiled kernel and cuBLAS, with the largest
difference between their results), the MLP Adam step of benchmarks/mlp_step.py and the warm-call launch
overhead, each beside jax.jit on the GPU and torch (CUDA, eager) where they import. Our column is
`tf.function(backend="gpu")`; where the GPU code generator cannot run a row, the row says
`missing: <the error>` — nothing is estimated or faked. Peers work on device-resident arrays;
our call takes and returns host tensors, so its times include the copies each way (said in the
notes).

`--dry-run` runs the same code on the emulator at tiny sizes (tests/runtime_gpu/
test_gpu_check.py does, to keep the table code working); its numbers mean nothing.
The GPU machine has no network and no astunparse: carry build/gpu-check/ (`make
gpu-check-bundle`); where astunparse is missing the script imports it from the carried wheel,
so it runs even where pip may not install (see benchmarks/README.md, "GPU device check").
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
WHEELS = os.path.join(ROOT, "build", "gpu-check", "wheels")


def use_carried_wheels():
    """Put the carried pure-Python wheels (astunparse, six) on sys.path where the modules are
    missing (a wheel is a zip archive Python imports from); returns the paths added, which the
    pytest subprocess gets through PYTHONPATH. Works where pip may not install (PEP 668)."""
    import glob
    import importlib.util
    added = []
    for module in ("six", "astunparse"):
        if importlib.util.find_spec(module) is not None:
            continue
        for wheel in sorted(glob.glob(os.path.join(WHEELS, f"{module}-*.whl"))):
            sys.path.append(wheel)
            added.append(wheel)
    return added

FULL = {"elementwise": 64 * 2 ** 20, "copy": 256 * 2 ** 20, "rows": (8192, 8192),
        "matmul": 4096, "mlp": ((784, 100, 10), 50), "cnn": ((28, 28, 1), 64)}
TINY = {"elementwise": 4096, "copy": 2 ** 16, "rows": (64, 96), "matmul": 32,
        "mlp": ((20, 8, 4), 6), "cnn": ((12, 12, 1), 2)}
COLUMNS = ("autograph_jit", "jax.jit", "torch")


def _median_time(fn, sync, min_round_s, rounds, budget_s):
    """Median seconds of one call: `rounds` rounds of calls (each at least `min_round_s`),
    fewer past `budget_s`."""
    fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    one = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(min_round_s / one))
    times = []
    start = time.perf_counter()
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / reps)
        if time.perf_counter() - start > budget_s and len(times) >= 1:
            break
    return statistics.median(times)


class Cell:
    """One measurement: seconds per call, or why there is none."""

    def __init__(self, seconds=None, missing=None):
        self.seconds, self.missing = seconds, missing


class Row:
    def __init__(self, name, size, unit, work, notes=""):
        self.name, self.size, self.unit, self.work, self.notes = name, size, unit, work, notes
        self.cells = {}

    def rate(self, cell):
        """The row's figure for a cell: GB/s or TFLOP/s from `work`, or µs per call."""
        if self.unit == "µs":
            return cell.seconds * 1e6
        scale = 1e9 if self.unit == "GB/s" else 1e12
        return self.work / cell.seconds / scale


def _fmt(row, cell):
    if cell is None:
        return "absent"
    if cell.missing:
        return "missing: " + cell.missing
    value = row.rate(cell)
    text = f"{value:.3g} {row.unit}"
    if row.unit != "µs":
        text += f" ({cell.seconds * 1e3:.3g} ms)"
    return text


def format_table(rows, header=""):
    """The rows as a Markdown table (one line per workload, one column per framework)."""
    lines = [header] if header else []
    lines.append("| workload | size | " + " | ".join(COLUMNS) + " | notes |")
    lines.append("|---" * (len(COLUMNS) + 3) + "|")
    for row in rows:
        cells = [_fmt(row, row.cells.get(c)) for c in COLUMNS]
        lines.append(f"| {row.name} | {row.size} | " + " | ".join(cells) + f" | {row.notes} |")
    return "\n".join(lines)


def _short(e):
    text = f"{type(e).__name__}: {e}".replace("\n", " ").replace("|", "/")
    return text if len(text) < 160 else text[:157] + "..."


class Peers:
    """jax (GPU backend only) and torch (CUDA only), where they import."""

    def __init__(self, dry_run):
        self.jax = self.torch = None
        self.why = {}
        try:
            import jax
            if dry_run or any(d.platform == "gpu" for d in jax.devices()):
                self.jax = jax
            else:
                self.why["jax.jit"] = "jax has no GPU backend here"
        except Exception as e:  # noqa: BLE001 (a peer that does not import is reported)
            self.why["jax.jit"] = _short(e)
        try:
            import torch
            if dry_run or torch.cuda.is_available():
                self.torch = torch
                self.torch_dev = "cuda" if torch.cuda.is_available() else "cpu"
            else:
                self.why["torch"] = "torch has no CUDA here"
        except Exception as e:  # noqa: BLE001
            self.why["torch"] = _short(e)

    def torch_sync(self):
        return self.torch.cuda.synchronize if self.torch_dev == "cuda" else (lambda: None)


def _ours(build, timing):
    """Cell for our column: `build()` returns a zero-argument call (tf.function on the GPU)."""
    try:
        call = build()
        seconds = _median_time(call, lambda: None, *timing)
        return Cell(seconds)
    except Exception as e:  # noqa: BLE001 (a row the GPU backend cannot run says why)
        return Cell(missing=_short(e))


def _peer(peers, name, build, timing):
    if name == "jax.jit" and peers.jax is None or name == "torch" and peers.torch is None:
        return Cell(missing=peers.why.get(name, "absent"))
    try:
        call, sync = build()
        return Cell(_median_time(call, sync, *timing))
    except Exception as e:  # noqa: BLE001
        return Cell(missing=_short(e))


def _jax_call(jax, f, *args):
    box = []

    def call():
        box[:] = [f(*args)]
    return call, (lambda: jax.block_until_ready(box[0]) if box else None)


def run_table(sizes, peers, timing, dev):
    """The benchmark rows (see the module docstring)."""
    import autograph_jit as tf
    rows = []
    j, t = peers.jax, peers.torch

    # device-to-device copy: the bandwidth every memory-bound kernel is measured against
    n = sizes["copy"]
    row = Row("device copy (d2d)", f"{n * 4 / 2 ** 20:.3g} MiB f32", "GB/s", 2 * 4 * n,
              "read + write; ours: cuMemcpyDtoD")
    try:
        a = dev.to_device(np.ones(n, np.float32))
        b = dev.alloc(4 * n)
        row.cells["autograph_jit"] = Cell(_median_time(lambda: dev.copy_dtod(b, a),
                                                       dev.synchronize, *timing))
    except Exception as e:  # noqa: BLE001
        row.cells["autograph_jit"] = Cell(missing=_short(e))
    row.cells["jax.jit"] = _peer(peers, "jax.jit", lambda: _jax_call(
        j, j.jit(lambda x: x + 0), j.numpy.ones(n, j.numpy.float32)), timing)

    def torch_copy():
        x = t.ones(n, device=peers.torch_dev)
        y = t.empty_like(x)
        return (lambda: y.copy_(x)), peers.torch_sync()
    row.cells["torch"] = _peer(peers, "torch", torch_copy, timing)
    rows.append(row)

    # elementwise chain
    n = sizes["elementwise"]
    x_host = np.linspace(-3, 3, n, dtype=np.float32)
    row = Row("elementwise chain", f"{n / 2 ** 20:.3g}M f32", "GB/s", 2 * 4 * n,
              "tanh(x*0.5+1)*sigmoid(x)+exp(-x*x); read + write; ours incl. host copies")

    def chain(lib, x):
        return lib.tanh(x * 0.5 + 1) * lib.sigmoid(x) + lib.exp(-x * x)

    def ours_chain():
        f = tf.function(lambda x: chain(tf.math, x), backend="gpu")
        x = tf.constant(x_host)
        return lambda: f(x)
    row.cells["autograph_jit"] = _ours(ours_chain, timing)
    row.cells["jax.jit"] = _peer(peers, "jax.jit", lambda: _jax_call(
        j, j.jit(lambda x: j.numpy.tanh(x * 0.5 + 1) * j.nn.sigmoid(x) + j.numpy.exp(-x * x)),
        j.numpy.asarray(x_host)), timing)

    def torch_chain():
        x = t.tensor(x_host, device=peers.torch_dev)
        return (lambda: t.tanh(x * 0.5 + 1) * t.sigmoid(x) + t.exp(-x * x)), peers.torch_sync()
    row.cells["torch"] = _peer(peers, "torch", torch_chain, timing)
    rows.append(row)

    # row reduction
    r, c = sizes["rows"]
    m_host = np.random.default_rng(0).standard_normal((r, c)).astype(np.float32)
    row = Row("row reduction", f"{r}x{c} f32 -> {r}", "GB/s", 4 * r * c,
              "reduce_sum(axis=1); ours incl. host copies")

    def ours_rows():
        f = tf.function(lambda m: tf.reduce_sum(m, axis=1), backend="gpu")
        m = tf.constant(m_host)
        return lambda: f(m)
    row.cells["autograph_jit"] = _ours(ours_rows, timing)
    row.cells["jax.jit"] = _peer(peers, "jax.jit", lambda: _jax_call(
        j, j.jit(lambda m: m.sum(axis=1)), j.numpy.asarray(m_host)), timing)

    def torch_rows():
        m = t.tensor(m_host, device=peers.torch_dev)
        return (lambda: m.sum(dim=1)), peers.torch_sync()
    row.cells["torch"] = _peer(peers, "torch", torch_rows, timing)
    rows.append(row)

    # matmul: the generated tiled kernel and cuBLAS (AUTOGRAPH_JIT_GPU_MATMUL), same operands
    k = sizes["matmul"]
    a_host = np.random.default_rng(1).standard_normal((k, k)).astype(np.float32)
    b_host = np.random.default_rng(2).standard_normal((k, k)).astype(np.float32)
    results = {}
    for mode, label in (("kernel", "generated kernel"), ("cublas", "cuBLAS")):
        row = Row(f"matmul, {label}", f"{k}² f32", "TFLOP/s", 2 * k ** 3,
                  "jax: default precision (TF32 on Ampere+); torch: allow_tf32 as set; ours "
                  "incl. host copies; float32 math (no TF32)")

        def ours_mm(mode=mode):
            f = tf.function(lambda a, b: tf.matmul(a, b), backend="gpu")
            a, b = tf.constant(a_host), tf.constant(b_host)
            with matmul_mode(mode):
                results[mode] = f(a, b).numpy()       # compiles under this mode
            results[mode + " path"] = matmul_path(f, a, b)
            return lambda: f(a, b)
        row.cells["autograph_jit"] = _ours(ours_mm, timing)
        if mode + " path" in results:
            row.notes += f"; ours: {results[mode + ' path']}"
        if mode == "kernel":
            row.cells["jax.jit"] = _peer(peers, "jax.jit", lambda: _jax_call(
                j, j.jit(lambda a, b: a @ b), j.numpy.asarray(a_host),
                j.numpy.asarray(b_host)), timing)

            def torch_mm():
                a = t.tensor(a_host, device=peers.torch_dev)
                b = t.tensor(b_host, device=peers.torch_dev)
                return (lambda: a @ b), peers.torch_sync()
            row.cells["torch"] = _peer(peers, "torch", torch_mm, timing)
            peer_cells = {c: row.cells[c] for c in ("jax.jit", "torch")}
        else:
            row.cells.update(peer_cells)
            row.notes += "; peers: the row above's measurement"
            if "kernel" in results and "cublas" in results:
                diff = np.abs(results["cublas"] - results["kernel"]).max()
                scale = max(np.abs(results["kernel"]).max(), 1e-30)
                row.notes += f"; max |cuBLAS - kernel| = {diff:.3g} ({diff / scale:.3g} of max |C|)"
        rows.append(row)

    rows.append(_mlp_row(tf, peers, sizes, timing))
    rows.append(_cnn_row(tf, peers, sizes, timing))

    # warm-call overhead
    row = Row("warm call f(x)=x+1", "f32 scalar", "µs", 1, "one launch, result read back")

    def ours_warm():
        f = tf.function(lambda x: x + 1, backend="gpu")
        x = tf.constant(np.float32(1))
        return lambda: f(x).numpy()
    row.cells["autograph_jit"] = _ours(ours_warm, timing)

    def jax_warm():
        f = j.jit(lambda x: x + 1)
        x = j.numpy.float32(1)
        return (lambda: np.asarray(f(x))), (lambda: None)
    row.cells["jax.jit"] = _peer(peers, "jax.jit", jax_warm, timing)

    def torch_warm():
        x = t.ones((), device=peers.torch_dev)
        return (lambda: (x + 1).item()), (lambda: None)
    row.cells["torch"] = _peer(peers, "torch", torch_warm, timing)
    rows.append(row)
    return rows


class matmul_mode:
    """Set AUTOGRAPH_JIT_GPU_MATMUL ("kernel", "cublas", "auto") while a function compiles."""

    NAME = "AUTOGRAPH_JIT_GPU_MATMUL"

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.old = os.environ.get(self.NAME)
        os.environ[self.NAME] = self.mode

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop(self.NAME, None)
        else:
            os.environ[self.NAME] = self.old


def matmul_path(f, *args):
    """What cf.explain() says ran the function's matmul(s): cuBLAS or the generated kernel."""
    text = f.get_concrete_function(*args).explain()
    paths = [line.split("): ", 1)[-1].split(" (")[0] for line in text.splitlines()
             if line.strip().startswith("gpu matmul")]
    return ", ".join(paths) or "no matmul reported"


def _mlp_row(tf, peers, sizes, timing):
    from benchmarks import mlp_step
    shape, n = sizes["mlp"]
    data = mlp_step.batch(shape, n)
    row = Row("MLP Adam step", f"{'-'.join(map(str, shape))}, batch {n}", "µs", 1,
              "benchmarks/mlp_step.py's step; ours incl. host copies of x, y")

    def ours():
        step = tf.function(mlp_step.make_step(tf, shape), backend="gpu")
        x, y = tf.constant(data[0]), tf.constant(data[1])
        return lambda: step(x, y).numpy()
    row.cells["autograph_jit"] = _ours(ours, timing)

    def jax_build():
        call = mlp_step._jax(shape, data)(peers.jax)
        return call, (lambda: None)
    row.cells["jax.jit"] = _peer(peers, "jax.jit", jax_build, timing)

    def torch_build():
        t = peers.torch
        d = peers.torch_dev
        params = [t.tensor(p, device=d, requires_grad=True)
                  for p in mlp_step.initial_params(shape)]
        w1, b1, w2, b2 = params
        opt = t.optim.Adam(params, lr=mlp_step.LR, eps=mlp_step.EPS)
        x = t.tensor(data[0], device=d)
        y = t.tensor(data[1], device=d).long()

        def call():
            opt.zero_grad(set_to_none=True)
            loss = t.nn.functional.cross_entropy(t.relu(x @ w1 + b1) @ w2 + b2, y)
            loss.backward()
            opt.step()
            return loss.detach()
        return call, peers.torch_sync()
    row.cells["torch"] = _peer(peers, "torch", torch_build, timing)
    return row


def _cnn_row(tf, peers, sizes, timing):
    """The seed CNN's Adam step (benchmarks/cnn_step.py), strict: every op a GPU kernel."""
    from benchmarks import cnn_step
    image, n = sizes["cnn"]
    data = cnn_step.batch(image, n)
    row = Row("CNN Adam step", f"{'x'.join(map(str, image))}, batch {n}", "µs", 1,
              "benchmarks/cnn_step.py: 2 conv + 2 max-pool + dense; ours: direct conv kernels, "
              "incl. host copies of x, y; torch NCHW")

    def ours():
        step = tf.function(cnn_step.make_step(tf, image)[0], backend="gpu", strict=True)
        x, y = tf.constant(data[0]), tf.constant(data[1])
        return lambda: step(x, y).numpy()
    row.cells["autograph_jit"] = _ours(ours, timing)
    row.cells["jax.jit"] = _peer(peers, "jax.jit", lambda: cnn_step.jax_step(image, data)(
        peers.jax), timing)
    row.cells["torch"] = _peer(peers, "torch", lambda: (
        cnn_step.torch_step(image, data, peers.torch_dev)(peers.torch), peers.torch_sync()),
        timing)
    return row


def describe(dev_kind):
    """Lines about the machine: device, driver, ptxas, libdevice, load."""
    from autograph_jit.runtime.gpu import get_device, ptxas
    lines = []
    try:
        dev = get_device(dev_kind)
        lines.append(f"device: {dev!r} ({dev.name}, compute capability "
                     f"{dev.compute_capability[0]}.{dev.compute_capability[1]})")
    except Exception as e:  # noqa: BLE001 (reported, and the rows say missing)
        dev = None
        lines.append(f"device: none ({_short(e)})")
    exe = ptxas.find()
    lines.append(f"ptxas: {exe} {ptxas.version(exe) if exe else ''}; libdevice: "
                 f"{ptxas.find_libdevice()}")
    lines.append("cublas: " + _cublas_line(dev))
    lines.append(f"python {sys.version.split()[0]}; load average "
                 f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return dev, lines


def _cublas_line(dev):
    """Which cuBLAS the matmul's fast path gets on `dev` (library and version), or why none."""
    from autograph_jit.runtime.gpu import cublas
    if dev is None:
        return "no device"
    try:
        blas = cublas.for_device(dev)
        return f"{blas.where} (version {blas.version}); tried {cublas.candidates()[:4]}"
    except Exception as e:  # noqa: BLE001 (reported: the cuBLAS row then says missing)
        return f"none ({_short(e)})"


def run_tests(kind, timeout, extra_paths=()):
    """pytest -m gpu over the GPU test folders with AUTOGRAPH_JIT_GPU=kind; its exit status."""
    paths = [p for p in ("tests/runtime_gpu", "tests/codegen/gpu")
             if os.path.isdir(os.path.join(ROOT, p))]
    env = dict(os.environ, AUTOGRAPH_JIT_GPU=kind,
               PYTHONPATH=os.pathsep.join([ROOT, *extra_paths]))
    cmd = [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider",
           "-m", "gpu", *paths]
    print("$ AUTOGRAPH_JIT_GPU=" + kind + " " + " ".join(cmd[1:]), flush=True)
    try:
        return subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"GPU tests ran past {timeout} s")
        return 124


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="the grid emulator at tiny sizes (checks the script, not speed)")
    parser.add_argument("--skip-tests", action="store_true", help="only the table")
    parser.add_argument("--test-timeout", type=float, default=150.0)
    args = parser.parse_args(argv)
    kind = "emulator" if args.dry_run else (os.environ.get("AUTOGRAPH_JIT_GPU") or "cuda")
    os.environ["AUTOGRAPH_JIT_GPU"] = kind
    t0 = time.perf_counter()
    carried = use_carried_wheels()
    if carried:
        print("using carried wheels: " + ", ".join(os.path.basename(w) for w in carried))
    dev, lines = describe(kind)
    print("\n".join(lines), flush=True)
    status = 0
    if not args.skip_tests:
        status = run_tests(kind, args.test_timeout, carried)
        print(f"GPU tests: {'passed' if status == 0 else f'FAILED (exit {status})'}", flush=True)
    sizes = TINY if args.dry_run else FULL
    timing = (0.0, 1, 0.0) if args.dry_run else (0.05, 5, 3.0)
    peers = Peers(args.dry_run)
    rows = run_table(sizes, peers, timing, dev) if dev is not None else []
    header = (f"GPU check on {getattr(dev, 'name', 'no device')} "
              f"({'dry run: emulator, tiny sizes, numbers mean nothing' if args.dry_run else kind})")
    print(format_table(rows, header) if rows else "no device: no table", flush=True)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return status if rows else 1


if __name__ == "__main__":
    sys.exit(main())
