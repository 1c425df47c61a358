"""benchmarks/keras_fit.py at a tiny size: its rows have times, and compiled fit/predict give
the same losses and outputs as run_eagerly (nothing here asserts a speed)."""
from benchmarks import harness, keras_fit


def test_keras_fit_rows_measure_and_agree_with_run_eagerly():
    rows = keras_fit.run(harness.TINY, (), sizes=(32,), n=100, cnn_n=64, first_fit=False)
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


def test_first_fit_rows_time_new_processes_and_warm_cache_keeps_the_loss(tmp_path):
    rows = keras_fit.first_fit_rows(harness.Settings(1, 0.0, 0.0, 1), (), n=96)
    assert [(r.workload.split(" → ")[1], r.size.split(",")[0]) for r in rows] == [
        ("first step done, new process", "cold compile cache"),
        ("first step done, new process", "new model compile cache"),
        ("first step done, new process", "warm compile cache"),
        ("first epoch done, new process", "cold compile cache"),
        ("first epoch done, new process", "new model compile cache"),
        ("first epoch done, new process", "warm compile cache")]
    for row in rows:
        cell = row.cells["graph"]
        assert cell.seconds > 0 and not cell.error, (row.workload, row.size, cell.error)
    # the warm processes took their steps from the graph cache the cold ones filled
    assert "'hits': 0" not in rows[2].notes[0] and "'stores': 0" not in rows[0].notes[0]
    # the new-model processes found none of the benchmark's steps in the cache
    assert "'hits': 0" in rows[1].notes[0]
