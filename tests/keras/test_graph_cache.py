"""The persistent graph cache of Keras's compiled steps (keras/models/graph_cache.py): a step
whose key is on disk is not traced, trains exactly as a traced one, and any change to what the
trace depends on is a new key. Every test uses its own cache directory (tmp_path).

Two models built alike after `clear_session()` (the same layer names) have the same key, so one
process can play the part of a new process whose disk cache holds the first model's steps."""
import os
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras.models import graph_cache
from autograph_jit.runtime import cache_files


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    return tmp_path


def _data(n=160, dtype=np.float32, features=12):
    r = np.random.default_rng(0)
    return r.normal(size=(n, features)).astype(dtype), r.integers(0, 3, n).astype(np.int32)


def _model(units=8, activation="relu", lr=1e-3, loss=None, optimizer="adam", dtype=None,
           features=12, layer=None):
    tf.keras.backend.clear_session()  # (layer name counters: the same auto names each time)
    tf.keras.utils.set_random_seed(1)
    kw = {} if dtype is None else {"dtype": dtype}
    layers = [tf.keras.Input(shape=(features,)),
              layer or tf.keras.layers.Dense(units, activation=activation, name="hidden", **kw),
              tf.keras.layers.Dense(3, name="logits", **kw)]
    model = tf.keras.Sequential(layers, name="cached_mlp")
    opt = {"adam": tf.keras.optimizers.Adam, "sgd": tf.keras.optimizers.SGD}[optimizer](lr)
    model.compile(optimizer=opt, loss=loss or tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    return model


def _fit(model, data, **kw):
    x, y = data
    hist = model.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False, **kw)
    return hist.history, [w.copy() for w in model.get_weights()]


def _stats():
    return dict(graph_cache.STATS)


def _delta(before):
    return {k: graph_cache.STATS[k] - v for k, v in before.items()}


def _same(a, b):
    assert a[0] == b[0]
    for wa, wb in zip(a[1], b[1]):
        np.testing.assert_array_equal(wa, wb)


def test_a_step_found_on_disk_is_not_traced_and_trains_bit_identically(cache_dir, monkeypatch):
    data = _data()
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    reference = _fit(_model(), data)
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    before = _stats()
    first = _fit(_model(), data)
    assert _delta(before)["stores"] >= 1 and _delta(before)["hits"] == 0
    assert any(p.endswith(".graph") for _, _, fs in os.walk(cache_dir) for p in fs)
    before = _stats()
    model = _model()
    second = _fit(model, data)
    d = _delta(before)
    assert d["hits"] >= 1 and d["misses"] == 0 and d["stores"] == 0, d
    assert model._functions[("train_loop", 32)].experimental_get_tracing_count() == 0
    _same(first, reference)
    _same(second, reference)
    # evaluate/predict still work on a model whose train step came from the cache
    np.testing.assert_allclose(model.predict(data[0][:5], verbose=0),
                               model(data[0][:5]).numpy(), rtol=1e-5, atol=1e-6)
    # the stages say where the graph came from
    cf = model._functions[("train_loop", 32)].cached_concrete_functions()[0]
    assert cf.stage_times[0][0] == "graph cache"


@pytest.mark.parametrize("change", [
    {"units": 9}, {"activation": "tanh"},
    {"lr": tf.keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)},
    {"loss": "sparse_categorical_crossentropy"}, {"optimizer": "sgd"}, {"dtype": "float64"},
], ids=["units", "activation", "lr_schedule", "loss", "optimizer", "dtype"])
def test_a_change_to_what_the_trace_depends_on_is_a_new_key(change, monkeypatch):
    data = _data(dtype=np.float64 if "dtype" in change else np.float32)
    _fit(_model(), _data())  # the unchanged model's steps are on disk
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    reference = _fit(_model(**change), data)
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    before = _stats()
    changed = _fit(_model(**change), data)
    d = _delta(before)
    assert d["hits"] == 0 and d["misses"] >= 1, d
    _same(changed, reference)


def test_a_new_input_dtype_or_width_is_a_new_key():
    _fit(_model(), _data())
    before = _stats()
    _fit(_model(features=13), _data(features=13))
    assert _delta(before)["hits"] == 0


def test_a_corrupt_entry_is_discarded_with_a_warning_and_traced_again(cache_dir, monkeypatch):
    data = _data()
    reference = _fit(_model(), data)
    entries = [os.path.join(r, f) for r, _, fs in os.walk(cache_dir) for f in fs
               if f.endswith(".graph")]
    assert entries
    for path in entries:
        blob = bytearray(open(path, "rb").read())
        blob[-5] ^= 0xFF
        open(path, "wb").write(bytes(blob))
    before = _stats()
    with pytest.warns(RuntimeWarning, match="discarded the disk cache entry"):
        again = _fit(_model(), data)
    d = _delta(before)
    assert d["discarded"] == len(entries) and d["hits"] == 0 and d["stores"] >= 1, d
    _same(again, reference)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entries are whole again
        before = _stats()
        _same(_fit(_model(), data), reference)
        assert _delta(before)["hits"] >= 1


def test_an_entry_whose_variables_do_not_fit_is_discarded(cache_dir, monkeypatch):
    data = _data()
    _fit(_model(), data)
    key_of = {}
    real = graph_cache._fingerprint

    def fingerprint(fn, arg_key):  # the stored key, but one variable fewer in this process
        key, variables, keep = real(fn, arg_key)
        key_of[key] = True
        return key, variables[:-1], keep
    monkeypatch.setattr(graph_cache, "_fingerprint", fingerprint)
    before = _stats()
    with pytest.warns(RuntimeWarning, match="does not fit this process"):
        _fit(_model(), data)
    assert _delta(before)["discarded"] >= 1 and _delta(before)["hits"] == 0


def test_a_user_defined_layer_is_never_cached(cache_dir):
    class Scale(tf.keras.layers.Layer):
        def call(self, x):
            return x * 2.0
    data = _data()
    before = _stats()
    _fit(_model(layer=Scale(name="hidden")), data)
    d = _delta(before)
    assert d["uncacheable"] >= 1 and d["stores"] == 0, d
    assert "Scale" in graph_cache.LAST_UNCACHEABLE[0]
    assert not any(f.endswith(".graph") for _, _, fs in os.walk(cache_dir) for f in fs)


def test_a_user_loss_function_is_never_cached(cache_dir):
    def my_loss(y_true, y_pred):
        return tf.reduce_mean(tf.square(y_pred))
    before = _stats()
    _fit(_model(loss=my_loss), _data())
    assert _delta(before)["stores"] == 0 and "my_loss" in graph_cache.LAST_UNCACHEABLE[0]


def test_cache_off_writes_nothing(cache_dir, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    before = _stats()
    _fit(_model(), _data())
    assert _delta(before) == {k: 0 for k in before}
    assert not any(f.endswith(".graph") for _, _, fs in os.walk(cache_dir) for f in fs)


def test_graph_entries_count_towards_the_size_cap(cache_dir):
    _fit(_model(), _data())
    graphs = [os.path.join(r, f) for r, _, fs in os.walk(cache_dir) for f in fs
              if f.endswith(".graph")]
    assert graphs
    for path in graphs:  # the least recently used: evicted first
        os.utime(path, (1, 1))
    total = cache_files.enforce_limit(str(cache_dir), cap=1)
    assert total <= 1 and not any(os.path.exists(p) for p in graphs)


def test_description_of_a_model_is_the_same_for_an_identical_model():
    a, b = _model(), _model()
    da, db = graph_cache._Describer(), graph_cache._Describer()
    assert da.describe(a) == db.describe(b)
    assert graph_cache._Describer().describe(_model(units=9)) != da.describe(a)


def test_source_stamp_changes_with_an_edit_an_added_or_a_removed_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    mod = tmp_path / "pkg" / "a.py"
    mod.write_text("x = 1\n")
    first = cache_files.source_stamp([str(tmp_path / "pkg")])
    assert cache_files.source_stamp([str(tmp_path / "pkg")]) == first
    mod.write_text("x = 22\n")
    edited = cache_files.source_stamp([str(tmp_path / "pkg")])
    (tmp_path / "pkg" / "b.py").write_text("")
    added = cache_files.source_stamp([str(tmp_path / "pkg")])
    (tmp_path / "pkg" / "b.py").unlink()
    (tmp_path / "pkg" / "notes.txt").write_text("not source")
    assert len({first, edited, added}) == 3
    assert cache_files.source_stamp([str(tmp_path / "pkg")]) == edited


_NEW_PROCESS = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from test_graph_cache import _model, _data
from autograph_jit.keras.models import graph_cache
x, y = _data()
m = _model()
h = m.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False,
          validation_data=(x[:50], y[:50]))
ev = m.evaluate(x, y, verbose=0, batch_size=32)
pr = m.predict(x[:37], verbose=0, batch_size=16)
state = json.dumps(graph_cache._Describer().describe(m))
print(json.dumps({"stats": graph_cache.STATS, "history": h.history, "evaluate": ev,
                  "predict": pr.tolist(), "weights": [w.tolist() for w in m.get_weights()],
                  "state": hashlib.sha256(state.encode()).hexdigest()}))
"""


def test_a_new_process_with_a_warm_cache_fits_evaluates_and_predicts_as_the_first(cache_dir):
    import json
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(cache_dir), AUTOGRAPH_JIT_CACHE="1",
               PYTHONPATH=root)
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", _NEW_PROCESS, os.path.dirname(__file__)],
                              env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    first, second = runs
    assert first["stats"]["stores"] >= 3 and first["stats"]["hits"] == 0, first["stats"]
    assert second["stats"]["hits"] == first["stats"]["stores"], second["stats"]
    assert second["stats"]["misses"] == 0 and second["stats"]["stores"] == 0
    for part in ("history", "evaluate", "predict", "weights", "state"):
        assert first[part] == second[part], part  # bit for bit; the model's Python state too


@pytest.mark.parametrize("damage", ["unknown_op", "dangling_input", "negative_input",
                                    "unknown_type", "not_a_graph"])
def test_a_well_checksummed_entry_with_a_broken_graph_is_discarded(cache_dir, damage):
    import json
    import zlib
    data = _data()
    reference = _fit(_model(), data)
    entries = [os.path.join(r, f) for r, _, fs in os.walk(cache_dir) for f in fs
               if f.endswith(".graph")]
    for path in entries:
        key = os.path.basename(path)[:-len(".graph")]
        blob = open(path, "rb").read()
        body = json.loads(zlib.decompress(blob[len(graph_cache.MAGIC) + 104:]))
        node = body["optimized"][3][-1]   # (graph_records: [op, name, inputs, outputs, ...])
        if damage == "unknown_op":
            node[0] = "no_such_op"
        elif damage == "dangling_input":
            node[2] = [10 ** 6]
        elif damage == "negative_input":  # (Python would index from the end: refused)
            node[2] = [-1] * len(node[2])
        elif damage == "unknown_type":
            node[3] = [len(body["tables"]["types"])] * len(node[3])
        else:
            body["traced"] = [1, 2, 3]
        graph_cache._write(path, key, body)  # (a valid header and checksum)
    before = _stats()
    with pytest.warns(RuntimeWarning, match="does not fit this process"):
        again = _fit(_model(), data)
    assert _delta(before)["discarded"] == len(entries) and _delta(before)["hits"] == 0
    _same(again, reference)
