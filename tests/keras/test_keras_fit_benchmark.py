"""benchmarks/keras_fit.py at a tiny size: its rows have times, and compiled fit/predict give
the same losses and outputs as run_eagerly (nothing here asserts a speed)."""
from benchmarks import harness, keras_fit


def test_keras_fit_rows_measure_and_agree_with_run_eagerly():
    rows = keras_fit.run(harness.TINY, (), sizes=(32,), n=100, cnn_n=64)
    assert [r.workload for r in rows] == ["Keras fit epoch MLP 784-128-10",
                                          "eager: Keras fit epoch MLP run_eagerly",
                                          "Keras predict MLP 784-128-10",
                                          "Keras fit epoch CNN (2 conv + 2 pool + dense)"]
    assert rows[3].cells["graph"].seconds > 0, rows[3].cells["graph"].error
    eager_row = rows[1]
    assert eager_row.base == "eager" and eager_row.cells["eager"].seconds > 0
    for row in (rows[0], rows[2]):
        for column in ("eager", "graph"):
            assert row.cells[column].seconds > 0, (row.workload, row.cells[column].error)
        assert row.equal is True, (row.workload, row.cells["graph"].error)
