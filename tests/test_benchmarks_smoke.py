"""benchmarks/ runs: every workload, at tiny sizes, yields rows with times whose graph results
equal eager ones; the table and the target logic read right. Nothing here asserts a speed."""
import os

import pytest

from benchmarks import (collatz, eager_ops, elementwise, harness, linreg_sgd, matmul, mlp_step,
                        table, warm_call)
from benchmarks.harness import Measurement, Row, Target

# Each workload with sizes small enough for a test (seconds at most).
TINY_RUNS = {
    "elementwise": lambda s, p: elementwise.run(s, p, n=1000),
    "collatz": lambda s, p: collatz.run(s, p, start=27),
    "warm_call": lambda s, p: warm_call.run(s, p),
    "mlp": lambda s, p: mlp_step.run(s, p, n=5, sizes=(16, 8, 4), first_call=False),
    "linreg": lambda s, p: linreg_sgd.run(s, p, epochs=5, n_samples=8, n_features=2),
    "matmul": lambda s, p: matmul.run(s, p, sizes=(8, 33)),
    "eager_ops": lambda s, p: eager_ops.run(s, p, shape=(3, 4), n=5, sizes=(16, 8, 4), k=3),
}


def _assert_measured(row, column):
    cell = row.cells[column]
    assert cell.seconds is not None and cell.seconds > 0, (row.workload, column, cell.error)


@pytest.mark.parametrize("name", sorted(set(TINY_RUNS) - {"collatz", "eager_ops"}))  # below
def test_workload_yields_rows_with_times_and_graph_equal_to_eager(name):
    rows = TINY_RUNS[name](harness.TINY, ())
    assert rows
    for row in rows:
        _assert_measured(row, "eager")
        _assert_measured(row, "graph")
        assert row.equal is True, (row.workload, row.size, row.cells["graph"].error)
        assert set(row.cells) <= {"eager", "graph", "numpy"}   # no peers were asked for


def test_collatz_of_27_takes_111_steps_with_while_loop_and_with_autograph():
    rows = collatz.run(harness.TINY, (), start=27)
    assert [r.workload for r in rows] == ["Collatz(27) tf.while_loop",
                                          "Collatz(27) Python while (AutoGraph)"]
    for row in rows:
        _assert_measured(row, "eager")
        _assert_measured(row, "graph")
        assert row.equal is True
        assert int(row.cells["eager"].value) == 111
        assert int(row.cells["graph"].value) == 111


def test_eager_ops_rows_time_our_eager_mode_with_numpy_computing_the_same():
    rows = eager_ops.run(harness.TINY, (), shape=(3, 4), n=5, sizes=(16, 8, 4), k=3)
    assert [r.workload for r in rows] == ["eager: x + 1", "eager: relu", "eager: x + 1 on a tape",
                                          "eager: MLP 16-8-4 Adam step"]
    for row in rows:
        assert row.base == "eager" and "graph" not in row.cells
        _assert_measured(row, "eager")
        assert set(row.cells) <= {"eager", "numpy"}   # no peers were asked for
        for cell in row.cells.values():
            assert not cell.error, (row.workload, cell.error)   # numpy equals our eager result
    assert float(rows[0].cells["eager"].value) == 2.0
    assert set(rows[1].cells) == {"eager", "numpy"}
    tape = rows[2]
    assert "ours eager" in tape.notes[0] and "recorded" in tape.notes[0]
    assert tape.targets[0].judge(tape) is not None   # the unrecorded time was measured
    text = table.render(rows)
    assert "our eager time / that time" in text and "graph" not in text.splitlines()[0]


def test_mlp_first_call_rows_come_from_new_processes_with_a_shared_cache():
    rows = mlp_step._first_calls((16, 8, 4), mlp_step.batch((16, 8, 4), 5), enabled=())
    assert [r.size for r in rows] == ["cold compile cache", "warm disk cache"]
    for row in rows:
        _assert_measured(row, "graph")
    cold, warm = (float(r.cells["graph"].value) for r in rows)
    assert cold == warm   # same weights, same batch: the same first loss


# Peer imports and compiles take ~45 s in all: opt in with AUTOGRAPH_JIT_BENCH_PEERS=1.
@pytest.mark.skipif(os.environ.get("AUTOGRAPH_JIT_BENCH_PEERS", "0") in ("", "0"),
                    reason="peer agreement is opt-in: AUTOGRAPH_JIT_BENCH_PEERS=1")
@pytest.mark.parametrize("name", ["elementwise", "collatz", "warm_call", "linreg", "matmul", "mlp",
                                  "eager_ops"])
def test_installed_peers_compute_the_same_result_as_our_eager_mode(name):
    enabled = tuple(p for p in ("jax", "torch", "numba") if _importable(p))
    if not enabled:
        pytest.skip("no peer framework installed (pip install -e '.[peers]')")
    rows = TINY_RUNS[name](harness.TINY, enabled)
    for row in rows:
        assert not [n for n in row.notes if "skipped" in n], row.notes
        assert set(enabled) & set(row.cells)
        for column in enabled:
            if column in row.cells:
                _assert_measured(row, column)
                assert not row.cells[column].error, (row.workload, column)


def _importable(name):
    from benchmarks import peers
    return peers.load(name) is not None


def test_close_is_exact_for_integers_and_tolerant_for_floats():
    assert harness.close([1, 2], [1, 2], 1e-4, 1e-5)
    assert not harness.close([1, 2], [1, 3], 1.0, 1.0)
    assert harness.close([1.0, 2.00001], [1.0, 2.0], 1e-4, 1e-5)
    assert not harness.close([1.0, 2.1], [1.0, 2.0], 1e-4, 1e-5)
    assert not harness.close([1.0], [1.0, 2.0], 1e-4, 1e-5)
    assert harness.close([[1.0], 2], [[1.0], 2], 1e-4, 1e-5)


def test_measure_reports_a_failing_candidate_instead_of_raising():
    def boom():
        raise RuntimeError("no such op")
    cells = harness.measure({"ok": lambda: 1.0, "bad": boom}, harness.TINY)
    assert cells["ok"].seconds > 0 and cells["ok"].value == 1.0
    assert cells["bad"].seconds is None and "no such op" in cells["bad"].error


def test_targets_judge_graph_time_against_a_column_or_a_bound():
    row = Row("w", "s", {"graph": Measurement(seconds=2.0), "jax": Measurement(seconds=4.0),
                         "eager": Measurement(seconds=10.0)})
    assert Target("jax", 1.0).judge(row) is True
    assert Target("eager", 0.1).judge(row) is False
    assert Target("numba", 5.0).judge(row) is None     # peer not installed: not judged
    assert Target(None, 1.5).judge(row) is False
    assert row.ratio("jax") == 0.5
    row.base = "eager"   # rows comparing eager modes: ratios and targets against our eager time
    assert row.ratio("jax") == 2.5 and Target("jax", 1.0).judge(row) is False


def test_table_aligns_columns_and_shows_units_ratios_and_verdicts():
    row = Row("matmul", "8×8", {"eager": Measurement(seconds=2e-3),
                                "graph": Measurement(seconds=1e-3),
                                "jax": Measurement(seconds=4e-6)},
              (Target("jax", 1.0),), equal=True, notes=["a note"])
    text = table.render([row])
    lines = text.splitlines()
    header, rule, line = lines[0], lines[1], lines[2]
    assert header.index("ours graph") == line.index("1 ms")
    assert "|" not in rule and len(rule) >= len(line)
    assert "2 ms 0.5×" in line and "4 µs 250×" in line
    assert "≤1× jax.jit ✗" in line and "yes" in line
    assert "a note" in text


def test_fmt_time_picks_a_unit():
    assert table.fmt_time(1.5) == "1.5 s"
    assert table.fmt_time(0.0123) == "12.3 ms"
    assert table.fmt_time(4.5e-6) == "4.5 µs"
    assert table.fmt_time(3e-7) == "300 ns"
    assert table.fmt_time(None) == "—"


def test_demo_trains_eagerly_and_as_a_function_with_equal_losses(monkeypatch, capsys):
    from autograph_jit import demo
    monkeypatch.setattr(demo, "EPOCHS", 2)
    monkeypatch.setattr(demo, "N_TRAIN", 100)
    monkeypatch.setattr(demo, "N_TEST", 20)
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "losses equal (rtol 1e-4): yes (4 steps" in out
    assert "note: the default backend failed" not in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("See every stage: cf = train_step.get_concrete_function(x, y)")
    assert "print(cf.graph)" in last


def test_peers_flag_reads_all_none_or_a_list_and_rejects_unknown_names():
    from benchmarks import peers
    assert peers.parse("all") == peers.ORDER
    assert peers.parse("none") == ()
    assert peers.parse("jax, numba") == ("jax", "numba")
    with pytest.raises(ValueError, match="mxnet"):
        peers.parse("jax,mxnet")


def test_command_line_prints_a_header_and_one_table_for_the_chosen_workload(capsys):
    from benchmarks.__main__ import main
    assert main(["--quick", "--peers", "none", "--only", "warm_call"]) == 0
    out = capsys.readouterr().out
    assert "ours: backend cpu" in out and "peers: none" in out
    rows = [line for line in out.splitlines() if line.startswith("warm call f(x)=x+1")]
    assert len(rows) == 1 and " yes " in rows[0]


def test_a_peer_that_cannot_be_imported_is_skipped_with_its_reason(monkeypatch):
    from benchmarks import cli, peers
    monkeypatch.setitem(peers._MODULES, "numba", "no_such_module_for_this_test")
    monkeypatch.setattr(peers, "_loaded", {})   # restored afterwards, real imports included
    notes = []
    assert harness.peer_candidates({"numba": lambda m: (lambda: 1)}, ("numba",), notes) == {}
    assert "numba.njit skipped (ModuleNotFoundError)" in cli.header(("numba",))


def test_fmt_ratio_keeps_two_digits_without_e_notation():
    assert table.fmt_ratio(9.4e-05) == "0.000094×"
    assert table.fmt_ratio(0.5) == "0.5×"
    assert table.fmt_ratio(1.0) == "1×"
    assert table.fmt_ratio(2.37) == "2.4×"
    assert table.fmt_ratio(250.0) == "250×"
    assert table.fmt_ratio(None) == "—"
