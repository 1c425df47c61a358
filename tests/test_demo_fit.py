"""`make demo`'s model.fit table: the Keras Sequential MLP trained by `fit` with
`run_eagerly=True` and compiled gives the same losses, epoch by epoch."""


def test_demo_fit_table_compares_run_eagerly_with_compiled_fit(monkeypatch, capsys):
    import numpy as np

    from autograph_jit import demo
    monkeypatch.setattr(demo, "EPOCHS", 2)
    rng = np.random.default_rng(0)
    templates = rng.uniform(0.0, 1.0, size=(10, 28, 28)).astype(np.float32)
    x, y = demo.make_digits(100, rng, templates)
    assert demo.fit_section(x, y, x[:20], y[:20]) is True
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("epoch |")]
    assert header and "run_eagerly loss" in header[0] and "compiled fit loss" in header[0]
    rows = [line.split("|") for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0].strip() for r in rows] == ["1", "2"]
    assert "epoch losses equal (rtol 1e-4): yes" in out
