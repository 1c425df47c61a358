"""benchmarks/checkpoint.py runs (tiny sizes): save, save without fsync and restore rows with
times. Nothing here asserts a speed."""
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

from benchmarks import checkpoint, harness


def test_checkpoint_benchmark_yields_save_and_restore_rows_with_times():
    rows = checkpoint.run(harness.TINY, (), sizes=(8, 4, 2))
    assert [r.workload.split(":")[0] for r in rows] == [
        "Checkpoint save", "Checkpoint save, no fsync (as TF)", "Checkpoint restore"]
    for row in rows:
        cell = row.cells["graph"]
        assert cell.seconds is not None and cell.seconds > 0, cell.error
        assert set(row.cells) == {"graph"}
