"""The notebooks in notebooks/ run top to bottom in a fresh Jupyter kernel and print what their
stored outputs show (notebooks/execute.py: numbers within rtol 2e-3, addresses and times masked,
cells tagged `timing` or `machine` only checked for the kinds of their outputs).

Each notebook is one test, so `pytest -n 2` runs two at a time; each has its own time limit (its
metadata's `timeout_s`, else 120 s). Regenerate the stored outputs with `make notebooks`."""
import importlib.util
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")

for _module in ("nbclient", "nbformat", "ipykernel", "matplotlib", "sklearn"):
    pytest.importorskip(_module, reason="the notebooks need the test extra: pip install -e '.[test]'")


def _executor():
    spec = importlib.util.spec_from_file_location("notebook_execute",
                                                  os.path.join(NOTEBOOKS, "execute.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute = _executor()
PATHS = execute.notebook_paths()


def test_there_are_at_least_six_numbered_notebooks_each_listed_in_the_readme():
    assert len(PATHS) >= 6
    with open(os.path.join(NOTEBOOKS, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for path in PATHS:
        assert os.path.basename(path) in readme


@pytest.mark.notebooks
@pytest.mark.parametrize("path", PATHS, ids=[os.path.basename(p)[:2] for p in PATHS])
def test_notebook_runs_top_to_bottom_and_matches_its_stored_outputs(path):
    import nbformat
    stored = nbformat.read(path, as_version=4)
    for program in stored.metadata.get("autograph_jit", {}).get("needs", []):
        if shutil.which(program) is None:
            pytest.skip(f"{os.path.basename(path)} draws graphs with Graphviz's `{program}`, which "
                        "is not installed: `make graphviz` or apt-get install graphviz")
    fresh, _ = execute.execute(path)
    problems = execute.differences(stored, fresh)
    assert not problems, f"{os.path.basename(path)}: outputs differ from the stored ones " \
        "(run `make notebooks` if the change is intended):\n" + "\n".join(problems)


def test_stored_notebooks_hold_their_outputs_for_readers_on_github():
    import nbformat
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count is not None for c in code), \
            f"{os.path.basename(path)} was stored without running it: run `make notebooks`"
        assert sum(bool(c.outputs) for c in code) >= len(code) // 2


def test_the_comparison_masks_times_and_addresses_and_tolerates_rounding_only():
    same = execute.same_text
    mask = execute._mask
    assert same(mask("loss 0.500001 in 12.5 ms at 0x7f00"), mask("loss 0.5 in 3 ms at 0x1234"))
    assert not same("loss 0.51", "loss 0.50")
    assert not same("accuracy 0.9 (train)", "accuracy 0.9 (test)")
    assert not same("[1 2 3]", "[1 2]")
