"""Execute the notebooks top to bottom and compare their outputs with the stored ones.

Each notebook runs in a fresh Jupyter kernel (nbclient) started with this very interpreter and the
checkout first on `PYTHONPATH`; the kernel's Jupyter/IPython/Matplotlib folders, the compile cache
and Keras' folder live in a temporary directory, so nothing is written into `~`. The working
directory is `notebooks/`, as when a reader opens them in Jupyter.

    python notebooks/execute.py               # execute all, compare with the stored outputs
    python notebooks/execute.py --write       # execute all and store the outputs (make notebooks)
    python notebooks/execute.py 02 05         # only the notebooks whose names start so

What is compared, cell by cell: stdout, and the text of each result and display (numbers within
rtol 2e-3, memory addresses, kernel file names and times masked); for pictures only their kind
(PNG, SVG) and number. Cells tagged `timing` (wall-clock measurements) or `machine` (text that
depends on the CPU or the LLVM version: optimized IR, assembly, thread-parallel kernels, the exact
numbers a long training ends with) must run and produce the same kinds of outputs, but their text
is not compared.
"""
import argparse
import contextlib
import copy
import json
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERNEL_NAME = "autograph_jit_notebooks"
# Per-notebook limit (seconds) for the whole top-to-bottom run; a notebook may name its own in
# its metadata ("autograph_jit": {"timeout_s": N}), and the programs it needs on PATH besides
# Python ("needs": ["dot"]; the test skips it, naming the program, where one is missing).
DEFAULT_TIMEOUT_S = 120
UNCOMPARED_TAGS = ("timing", "machine")
RTOL, ATOL = 2e-3, 1e-5


def notebook_paths(prefixes=()):
    """The numbered notebooks (`NN_name.ipynb`) in order, optionally only those starting with
    one of `prefixes`."""
    names = sorted(n for n in os.listdir(HERE) if re.match(r"\d\d_.*\.ipynb$", n))
    if prefixes:
        names = [n for n in names if any(n.startswith(p) for p in prefixes)]
    return [os.path.join(HERE, n) for n in names]


def _kernel_env(tmp):
    pythonpath = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    return {
        "PYTHONPATH": pythonpath,
        "AUTOGRAPH_JIT_CACHE_DIR": os.path.join(tmp, "compile-cache"),
        "KERAS_HOME": os.path.join(tmp, "keras"),
        "MPLCONFIGDIR": os.path.join(tmp, "matplotlib"),
        "IPYTHONDIR": os.path.join(tmp, "ipython"),
        "JUPYTER_CONFIG_DIR": os.path.join(tmp, "jupyter-config"),
        "JUPYTER_DATA_DIR": os.path.join(tmp, "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": os.path.join(tmp, "jupyter-runtime"),
        # ipykernel's debugger otherwise warns on stderr about frozen modules at every start
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONHASHSEED": "0",
    }


@contextlib.contextmanager
def _environ(values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _kernel_manager(tmp, python):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    spec_dir = os.path.join(tmp, "kernels", KERNEL_NAME)
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "Python 3 (autograph_jit checkout)", "language": "python",
                   "env": _kernel_env(tmp)}, f)
    ksm = KernelSpecManager(kernel_dirs=[os.path.join(tmp, "kernels")])
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)


def execute(path, timeout_s=None, python=None):
    """Run the notebook at `path` top to bottom in a fresh kernel.

    Args:
      path: the .ipynb file.
      timeout_s: limit for the whole notebook (default: its metadata's, else 120 s); a cell
        still running at the limit fails the run with nbclient's `CellTimeoutError`.
      python: the kernel's interpreter (default: this one).
    Returns:
      (notebook with fresh outputs, seconds taken). A cell that raises raises
      `nbclient.exceptions.CellExecutionError` here.
    """
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    if timeout_s is None:
        timeout_s = nb.metadata.get("autograph_jit", {}).get("timeout_s", DEFAULT_TIMEOUT_S)
    tmp = tempfile.mkdtemp(prefix="agj-notebook-")
    try:
        env = _kernel_env(tmp)
        with _environ({k: env[k] for k in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR",
                                           "JUPYTER_CONFIG_DIR", "IPYTHONDIR")}):
            km = _kernel_manager(tmp, python or sys.executable)
            client = NotebookClient(nb, km=km, timeout=timeout_s, record_timing=False,
                                    allow_errors=False, startup_timeout=60,
                                    resources={"metadata": {"path": HERE}})
            t0 = time.monotonic()
            with client.setup_kernel(cwd=HERE, env=dict(os.environ, **env)):
                for index, cell in enumerate(nb.cells):
                    left = timeout_s - (time.monotonic() - t0)
                    if left <= 0:
                        raise TimeoutError(f"{os.path.basename(path)}: over its {timeout_s} s "
                                           f"limit before cell {index}")
                    client.timeout = max(1, int(left))
                    client.execute_cell(cell, index)
            seconds = time.monotonic() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb, seconds


# ---- comparing outputs ------------------------------------------------------------------------

_MASKS = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0x?"),
    (re.compile(r"/tmp/ipykernel_\d+/"), "/tmp/ipykernel/"),
    (re.compile(r"/tmp/[\w.-]*agj[\w.-]*"), "/tmp/?"),
    (re.compile(r"\d+(\.\d+)?(e[-+]?\d+)?\s?(ns|µs|us|ms|s|min)\b"), "<time>"),
]
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def _mask(text):
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def comparable(cell):
    """A cell's outputs as [(kind, text or None)]: stdout and text results with masks applied;
    pictures as their MIME type alone; stderr left out (warnings vary by machine)."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            if o["name"] == "stdout":
                out.append(("stdout", _mask(_text(o["text"]))))
        elif o["output_type"] in ("execute_result", "display_data"):
            data = o["data"]
            pictures = [m for m in ("image/png", "image/svg+xml") if m in data]
            if pictures:
                out.append((pictures[0], None))
            elif "text/plain" in data:
                out.append(("text", _mask(_text(data["text/plain"]))))
        elif o["output_type"] == "error":
            out.append(("error", f"{o['ename']}: {o['evalue']}"))
    # consecutive stdout chunks are one stream (how the kernel splits them varies)
    merged = []
    for kind, text in out:
        if merged and kind == "stdout" and merged[-1][0] == "stdout":
            merged[-1] = ("stdout", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def same_text(a, b, rtol=RTOL, atol=ATOL):
    """Texts equal token by token: numbers within rtol/atol, everything else exactly
    (whitespace runs compared as one space)."""
    pa, pb = _NUMBER.split(a), _NUMBER.split(b)
    na, nb_ = _NUMBER.findall(a), _NUMBER.findall(b)
    if len(na) != len(nb_) or [" ".join(s.split()) for s in pa] != [" ".join(s.split())
                                                                      for s in pb]:
        return False
    for x, y in zip(na, nb_):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not abs(fx - fy) <= atol + rtol * abs(fy):
            return False
    return True


def differences(stored, fresh):
    """Human-readable differences between two executions of the same notebook."""
    problems = []
    if len(stored.cells) != len(fresh.cells):
        return [f"cell count {len(stored.cells)} stored vs {len(fresh.cells)} now"]
    for index, (a, b) in enumerate(zip(stored.cells, fresh.cells)):
        if a.cell_type != "code":
            continue
        ca, cb = comparable(a), comparable(b)
        where = f"cell {index} ({a.source.splitlines()[0] if a.source else ''!s:.60})"
        if [k for k, _ in ca] != [k for k, _ in cb]:
            problems.append(f"{where}: output kinds {[k for k, _ in ca]} stored vs "
                            f"{[k for k, _ in cb]} now")
            continue
        if set(UNCOMPARED_TAGS) & set(a.metadata.get("tags", [])):
            continue
        for (kind, ta), (_, tb) in zip(ca, cb):
            if ta is not None and not same_text(ta, tb):
                problems.append(f"{where}: {kind} differs\n--- stored\n{ta}\n--- now\n{tb}")
    return problems


def store(nb, path):
    import nbformat
    out = copy.deepcopy(nb)
    for cell in out.cells:
        cell.metadata.pop("execution", None)
    nbformat.validate(out)
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(out, f)


def main(argv=None):
    import nbformat
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    p.add_argument("--write", action="store_true", help="store the fresh outputs in the files")
    p.add_argument("--timeout", type=int, help="per-notebook limit in seconds")
    args = p.parse_args(argv)
    failed = 0
    for path in notebook_paths(args.names):
        name = os.path.basename(path)
        fresh, seconds = execute(path, args.timeout)
        if args.write:
            store(fresh, path)
            print(f"{name}: executed in {seconds:.1f} s, outputs stored", flush=True)
            continue
        problems = differences(nbformat.read(path, as_version=4), fresh)
        print(f"{name}: executed in {seconds:.1f} s, "
              f"{'outputs match' if not problems else f'{len(problems)} difference(s)'}",
              flush=True)
        for problem in problems:
            print("  " + problem.replace("\n", "\n  "))
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
