"""benchmarks/gpu_check.py, the GPU device check, keeps working without a GPU: its dry run
(emulator, tiny sizes) prints the full table, every cell a measurement or a stated reason."""
import os
import re
import subprocess
import sys

from benchmarks import gpu_check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_dry_run_prints_every_row_with_a_number_or_a_reason():
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("AUTOGRAPH_JIT_GPU", None)
    out = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--dry-run", "--skip-tests"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ")][1:]
    names = [r.split("|")[1].strip() for r in rows]
    assert names == ["device copy (d2d)", "elementwise chain", "row reduction",
                     "matmul, generated kernel", "matmul, cuBLAS", "MLP Adam step",
                     "CNN Adam step", "warm call f(x)=x+1"]
    assert "ours: generated kernel" in rows[3] and "ours: cuBLAS cublasSgemm_v2" in rows[4]
    assert re.search(r"max \|cuBLAS - kernel\| = [\d.e+-]+", rows[4]), rows[4]
    for r in rows:
        for cell in r.split("|")[3:6]:
            cell = cell.strip()
            assert re.match(r"[\d.e+-]+ (GB/s|TFLOP/s|µs)", cell) or cell.startswith("missing: "), r
    # the copy row runs on the emulator's own device memory
    assert re.match(r"[\d.e+-]+ GB/s", rows[0].split("|")[3].strip())
    assert "dry run" in out.stdout


def test_table_formats_rates_and_missing_cells():
    row = gpu_check.Row("elementwise chain", "64M f32", "GB/s", 2 * 4 * 2 ** 26)
    row.cells["autograph_jit"] = gpu_check.Cell(0.25e-3 * 1000)
    row.cells["jax.jit"] = gpu_check.Cell(missing="jax has no GPU backend here")
    warm = gpu_check.Row("warm call", "scalar", "µs", 1)
    warm.cells["torch"] = gpu_check.Cell(12e-6)
    text = gpu_check.format_table([row, warm], "header")
    assert "| elementwise chain | 64M f32 | 2.15 GB/s (250 ms) | missing: jax has no GPU " \
           "backend here | absent |" in text
    assert "| warm call | scalar | absent | absent | 12 µs |" in text
