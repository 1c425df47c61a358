"""benchmarks/data_pipeline.py at a tiny size: the row has times and every column computes
the same epoch sum (nothing here asserts a speed)."""
from benchmarks import data_pipeline, harness


def test_data_pipeline_row_columns_agree():
    rows = data_pipeline.run(harness.TINY, (), n=300, features=5, batch=128)
    (row,) = rows
    for column in ("eager", "graph", "numpy"):
        cell = row.cells[column]
        assert cell.seconds is not None and cell.seconds > 0, (column, cell.error)
    assert row.equal is True and not row.cells["numpy"].error
