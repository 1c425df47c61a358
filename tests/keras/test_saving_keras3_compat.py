"""Keras 3 compatibility of saving and `tf.keras.utils`: optimizer state in `.keras` /
`.weights.h5` files in Keras 3's order (checked both ways against real Keras 3, run in a
subprocess when /work/peers — or $AUTOGRAPH_JIT_KERAS3_PYTHON — has it), `plot_model`'s options,
the `utils` names, `to_categorical`'s dtype, BackupAndRestore's layout and `save_weights`'s
filename check."""
import io
import json
import os
import subprocess
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import autograph_jit as tf

h5py = pytest.importorskip("h5py")

KERAS3_PYTHON = os.environ.get("AUTOGRAPH_JIT_KERAS3_PYTHON", "/work/peers/bin/python")

# Optimizer configurations whose saved variable lists differ in shape or order between them
# (Keras 3.15: learning_rate only when not a schedule; slots variable by variable or kind by
# kind; gradient accumulators and EMA averages first; Nadam's u_product and Adam's
# velocity_hat at the end; Adafactor's int32 placeholders; LossScaleOptimizer's inner group).
OPTIMIZERS = [
    "RMSprop(0.01, momentum=0.5, centered=True)",
    "RMSprop(0.01, momentum=0.5)",
    "Adam(0.01)",
    "Adam(0.01, amsgrad=True)",
    "AdamW(0.01, amsgrad=True)",
    "Adam(schedules.ExponentialDecay(0.01, 10, 0.9))",
    "AdamW(schedules.ExponentialDecay(0.01, 10, 0.9))",
    "Nadam(0.01)",
    "Nadam(schedules.ExponentialDecay(0.01, 10, 0.9))",
    "Adam(0.01, gradient_accumulation_steps=2)",
    "SGD(0.01, momentum=0.9, use_ema=True)",
    "Adafactor(0.01)",
    "Adadelta(1.0)",
    "Adamax(0.01)",
    "Ftrl(0.01)",
    "Adagrad(0.01)",
    "Lion(0.001)",
    "LossScaleOptimizer(Adam(0.01))",
]

_PEER_SCRIPT = textwrap.dedent("""
    import json, os, sys, tempfile, warnings
    os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp())
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import keras
    from keras.optimizers import *  # noqa
    from keras.optimizers import schedules  # noqa
    work, configs = sys.argv[1], json.loads(sys.argv[2])
    data = np.load(os.path.join(work, "data.npz"))
    x, y = data["x"], data["y"]
    init = [data[f"w{i}"] for i in range(4)]
    report = {}
    for i, expr in enumerate(configs):
        keras.utils.clear_session()
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4),
                                  keras.layers.Dense(2)])
        model.set_weights(init)
        model.compile(eval(expr), "mse")
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        model.save(os.path.join(work, f"keras_{i}.keras"))
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.savez(os.path.join(work, f"keras_{i}_continued.npz"), *model.get_weights())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = keras.models.load_model(os.path.join(work, f"ours_{i}.keras"))
        ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.savez(os.path.join(work, f"ours_{i}_continued_by_keras.npz"), *ours.get_weights())
        report[i] = [str(w.message) for w in caught if "optimizer" in str(w.message)]
    print("REPORT" + json.dumps(report))
""")


def _model(init):
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(4),
                                 tf.keras.layers.Dense(2)])
    model.set_weights(init)
    return model


def _optimizer(expr):
    namespace = dict(vars(tf.keras.optimizers))
    return eval(expr, namespace)


def _fit(model):
    data = _fit.data
    model.fit(data["x"], data["y"], epochs=1, batch_size=8, shuffle=False, verbose=0)


def _layout(group):
    return [(k, group[k].shape, str(group[k].dtype)) for k in sorted(group, key=int)]


@pytest.fixture(scope="module")
def keras3_round_trip(tmp_path_factory):
    """Trains every OPTIMIZERS entry one epoch here and in Keras 3 (same data, same start),
    saves both, and lets each side load the other's file and train one more epoch."""
    if not os.path.exists(KERAS3_PYTHON):
        pytest.skip(f"real Keras 3 is not available at {KERAS3_PYTHON}")
    work = tmp_path_factory.mktemp("keras3_round_trip")
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(32, 5)).astype(np.float32),
            "y": rng.normal(size=(32, 2)).astype(np.float32),
            "w0": rng.normal(size=(5, 4)).astype(np.float32),
            "w1": rng.normal(size=(4,)).astype(np.float32),
            "w2": rng.normal(size=(4, 2)).astype(np.float32),
            "w3": rng.normal(size=(2,)).astype(np.float32)}
    np.savez(work / "data.npz", **data)
    _fit.data = data
    init = [data[f"w{i}"] for i in range(4)]
    ours_continued = {}
    for i, expr in enumerate(OPTIMIZERS):
        model = _model(init)
        model.compile(_optimizer(expr), "mse")
        _fit(model)
        model.save(work / f"ours_{i}.keras")
        model.save_weights(work / f"ours_{i}.weights.h5")
        _fit(model)
        ours_continued[i] = model.get_weights()
    env = dict(os.environ, KERAS_HOME=str(work / "keras_home"), CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([KERAS3_PYTHON, "-c", _PEER_SCRIPT, str(work), json.dumps(OPTIMIZERS)],
                          capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode:
        pytest.fail(f"Keras 3 failed on our files:\n{proc.stderr[-4000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT")][-1]
    report = {int(k): v for k, v in json.loads(line[len("REPORT"):]).items()}
    return work, init, ours_continued, report


@pytest.mark.parametrize("index", range(len(OPTIMIZERS)), ids=OPTIMIZERS)
def test_optimizer_state_file_has_keras3_variable_count_order_shapes_and_dtypes(
        keras3_round_trip, index):
    work = keras3_round_trip[0]
    with zipfile.ZipFile(work / f"keras_{index}.keras") as z:
        theirs = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    with h5py.File(work / f"ours_{index}.weights.h5", "r") as ours, theirs:
        for name in ("optimizer/vars", "optimizer/inner_optimizer/vars"):
            assert (name in ours) == (name in theirs)
            if name in theirs:
                assert _layout(ours[name]) == _layout(theirs[name])


@pytest.mark.parametrize("index", range(len(OPTIMIZERS)), ids=OPTIMIZERS)
def test_training_resumed_from_a_keras3_file_matches_keras3_resuming_it(
        keras3_round_trip, index):
    work, init, _, _ = keras3_round_trip
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a skipped optimizer state would warn
        model = tf.keras.models.load_model(work / f"keras_{index}.keras")
    _fit(model)
    expected = np.load(work / f"keras_{index}_continued.npz")
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, expected[f"arr_{i}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("index", range(len(OPTIMIZERS)), ids=OPTIMIZERS)
def test_keras3_resumes_training_from_our_file_as_we_do(keras3_round_trip, index):
    work, _, ours_continued, report = keras3_round_trip
    assert report[index] == []   # Keras kept the optimizer state (no "Skipping" warning)
    theirs = np.load(work / f"ours_{index}_continued_by_keras.npz")
    for i, w in enumerate(ours_continued[index]):
        np.testing.assert_allclose(theirs[f"arr_{i}"], w, rtol=1e-4, atol=1e-5)


def test_optimizer_state_of_a_different_shape_raises_naming_the_variable(tmp_path):
    x = np.ones((4, 5), np.float32)
    y = np.ones((4, 2), np.float32)
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(2)])
    model.compile(tf.keras.optimizers.Adam(0.01), "mse")
    model.fit(x, y, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r+") as f:
        del f["optimizer/vars/2"]
        f["optimizer/vars/2"] = np.zeros((3, 3), np.float32)
    clone = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(2)])
    clone.compile(tf.keras.optimizers.Adam(0.01), "mse")
    with pytest.raises(ValueError, match=r"variable 2 .* has shape \(5, 2\), but the saved "
                                         r"value has shape \(3, 3\)"):
        clone.load_weights(tmp_path / "m.weights.h5")


def test_optimizer_state_of_a_different_count_is_skipped_with_keras3_warning(tmp_path):
    x = np.ones((4, 5), np.float32)
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(2)])
    model.compile(tf.keras.optimizers.Adam(0.01), "mse")
    model.fit(x, np.ones((4, 2), np.float32), verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    clone = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(2)])
    clone.compile(tf.keras.optimizers.Adam(0.01, amsgrad=True), "mse")
    with pytest.warns(UserWarning, match="because it has 8 variables whereas the saved "
                                         "optimizer has 6 variables"):
        clone.load_weights(tmp_path / "m.weights.h5")


def test_optimizer_variables_are_created_in_keras3_order():
    a, b = tf.Variable(np.zeros((2, 3), np.float32)), tf.Variable(np.zeros((3,), np.float32))
    opt = tf.keras.optimizers.Adam(0.01, amsgrad=True)
    opt.build([a, b])
    kinds = [v.name.rsplit(":", 1)[0].rsplit("/", 1)[-1].rsplit("_", 1)[-1]
             for v in opt.variables]
    assert kinds[:2] == ["iteration", "rate"]
    assert [tuple(v.shape.as_list()) for v in opt.variables[2:]] == \
        [(2, 3), (2, 3), (3,), (3,), (2, 3), (3,)]
    assert kinds[2:] == ["momentum", "velocity", "momentum", "velocity", "hat", "hat"]


# -- plot_model / model_to_dot (Keras 3's options) -------------------------------------------
def _mlp():
    return tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, activation="relu",
                                                                            name="d1"),
                                tf.keras.layers.Dense(1, name="d2")])


def test_model_to_dot_shows_activations_and_trainable_on_request():
    model = _mlp()
    model.layers[1].trainable = False
    text = tf.keras.utils.model_to_dot(model, show_layer_activations=True,
                                       show_trainable=True).to_string()
    assert "activation: relu" in text and "activation: linear" in text
    assert "d1 (Dense)|activation: relu|trainable: True" in text
    assert "d2 (Dense)|activation: linear|trainable: False" in text
    assert "splines=ortho;" in text


def test_model_to_dot_expands_a_nested_model_into_a_cluster_on_request():
    inner = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="i1"),
                                 tf.keras.layers.Dense(2, name="i2")], name="inner")
    x = tf.keras.Input((3,), name="x")
    model = tf.keras.Model(x, tf.keras.layers.Dense(1, name="head")(inner(x)))
    flat = tf.keras.utils.model_to_dot(model).to_string()
    assert "cluster" not in flat and '"inner" -> "head"' in flat
    nested = tf.keras.utils.model_to_dot(model, expand_nested=True).to_string()
    assert 'subgraph "cluster_inner"' in nested
    assert '"inner/i1" -> "inner/i2"' in nested and '"inner/i2" -> "head"' in nested


@pytest.mark.parametrize("function", ["plot_model", "model_to_dot"])
def test_unknown_and_removed_keywords_raise_like_keras3(function, tmp_path):
    fn = getattr(tf.keras.utils, function)
    kwargs = {"to_file": str(tmp_path / "m.dot")} if function == "plot_model" else {}
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        fn(_mlp(), show_shape=True, **kwargs)
    with pytest.raises(ValueError, match="`layer_range` is no longer supported"):
        fn(_mlp(), layer_range=["d1", "d2"], **kwargs)


def test_plot_model_hides_layer_names_by_default_as_keras3(tmp_path):
    tf.keras.utils.plot_model(_mlp(), to_file=tmp_path / "m.dot")
    text = (tmp_path / "m.dot").read_text()
    assert 'label="{Dense}"' in text and "d1 (Dense)" not in text


def test_model_to_dot_of_an_unbuilt_model_raises():
    with pytest.raises(ValueError, match="not yet been built"):
        tf.keras.utils.model_to_dot(tf.keras.Sequential([tf.keras.layers.Dense(1)]))


def test_model_to_dot_result_has_pydots_methods(tmp_path):
    dot = tf.keras.utils.model_to_dot(_mlp())
    assert dot.to_string().startswith("digraph")
    dot.write(str(tmp_path / "m.dot"))
    assert (tmp_path / "m.dot").read_text() == dot.to_string()
    assert dot.create(format="dot") == dot.to_string().encode()
    assert callable(dot.write_png) and callable(dot.create_svg)


# -- tf.keras.utils names -------------------------------------------------------------------
def test_utils_exports_the_keras3_names():
    names = ["custom_object_scope", "CustomObjectScope", "get_custom_objects",
             "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
             "register_keras_serializable", "Sequence", "PyDataset", "pad_sequences", "get_file",
             "timeseries_dataset_from_array", "split_dataset", "load_img", "img_to_array",
             "array_to_img", "save_img", "get_source_inputs", "clear_session"]
    missing = [n for n in names if not hasattr(tf.keras.utils, n)]
    assert missing == []
    assert tf.keras.utils.Sequence is tf.keras.utils.PyDataset
    assert tf.keras.utils.custom_object_scope is tf.keras.saving.custom_object_scope


def test_get_custom_objects_entries_are_found_when_deserializing():
    class Triple(tf.keras.layers.Layer):
        def call(self, x):
            return 3 * x
    tf.keras.utils.get_custom_objects()["Triple"] = Triple
    try:
        assert tf.keras.saving.get_registered_object("Triple") is Triple
        assert tf.keras.utils.get_registered_name(Triple) == "Triple"
    finally:
        del tf.keras.utils.get_custom_objects()["Triple"]


def test_pad_sequences_pads_and_truncates_like_keras3():
    seqs = [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(tf.keras.utils.pad_sequences(seqs),
                                  [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    out = tf.keras.utils.pad_sequences(seqs, maxlen=2, padding="post", truncating="post",
                                       value=-1)
    np.testing.assert_array_equal(out, [[1, 2], [4, -1], [-1, -1]])
    assert out.dtype == np.int32


def test_py_dataset_trains_with_its_epoch_hooks():
    ends = []

    class Batches(tf.keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((4, 3), i, np.float32), np.ones((4, 1), np.float32)

        def on_epoch_end(self):
            ends.append(True)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(Batches(workers=2), epochs=2, verbose=0)
    # (Keras 3 also calls on_epoch_end once before the first epoch)
    assert len(history.history["loss"]) == 2 and len(ends) == 3


def test_get_file_copies_once_into_the_cache_and_checks_the_hash(tmp_path, capsys):
    import hashlib
    src = tmp_path / "data.bin"
    src.write_bytes(b"payload")
    digest = hashlib.sha256(b"payload").hexdigest()
    cache = tmp_path / "cache"
    path = tf.keras.utils.get_file(origin=src.as_uri(), file_hash=digest, cache_dir=cache)
    assert path == str(cache / "datasets" / "data.bin") and open(path, "rb").read() == b"payload"
    capsys.readouterr()
    src.write_bytes(b"changed")    # cached and valid: not fetched again
    assert tf.keras.utils.get_file(origin=src.as_uri(), file_hash=digest,
                                   cache_dir=cache) == path
    assert "Downloading" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="hash does not match"):
        tf.keras.utils.get_file("other.bin", origin=src.as_uri(), file_hash=digest,
                                cache_dir=cache)


def test_get_file_extracts_an_archive(tmp_path):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pack/a.txt", "A")
    out = tf.keras.utils.get_file("pack.zip", origin=archive.as_uri(), extract=True,
                                  cache_dir=tmp_path / "cache")
    assert out.endswith("pack_extracted")
    assert open(os.path.join(out, "pack", "a.txt")).read() == "A"


def test_timeseries_dataset_from_array_windows_like_keras3():
    data = np.arange(20)
    ds = tf.keras.utils.timeseries_dataset_from_array(
        data, data[3:], sequence_length=3, sequence_stride=2, sampling_rate=1, batch_size=4)
    batches = [(x.numpy(), y.numpy()) for x, y in ds]
    np.testing.assert_array_equal(batches[0][0], [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]])
    np.testing.assert_array_equal(batches[0][1], [3, 5, 7, 9])
    assert sum(len(x) for x, _ in batches) == 9


def test_split_dataset_splits_arrays_and_datasets():
    x, y = np.arange(10, dtype=np.float32), np.arange(10) % 2
    left, right = tf.keras.utils.split_dataset((x, y), left_size=0.7)
    assert int(left.cardinality()) == 7 and int(right.cardinality()) == 3
    np.testing.assert_array_equal([float(a.numpy()) for a, _ in right], [7, 8, 9])
    left, right = tf.keras.utils.split_dataset(tf.data.Dataset.from_tensor_slices(x),
                                               right_size=2, shuffle=True, seed=1)
    got = sorted(float(v.numpy()) for v in left) + sorted(float(v.numpy()) for v in right)
    assert sorted(got) == list(range(10)) and int(right.cardinality()) == 2


def test_image_helpers_round_trip_an_array(tmp_path):
    pytest.importorskip("PIL")
    arr = np.zeros((4, 6, 3), np.float32)
    arr[:, :3] = 255.0
    tf.keras.utils.save_img(tmp_path / "im.png", arr, scale=False)
    img = tf.keras.utils.load_img(tmp_path / "im.png", target_size=(2, 3))
    back = tf.keras.utils.img_to_array(img)
    assert back.dtype == np.float32 and back.shape == (2, 3, 3)
    gray = tf.keras.utils.img_to_array(tf.keras.utils.load_img(tmp_path / "im.png",
                                                               color_mode="grayscale"))
    assert gray.shape == (4, 6, 1)
    assert tf.keras.utils.array_to_img(arr).size == (6, 4)


def test_get_source_inputs_finds_the_inputs_of_a_functional_output():
    a, b = tf.keras.Input((2,)), tf.keras.Input((3,))
    out = tf.keras.layers.Concatenate()([tf.keras.layers.Dense(1)(a), b])
    sources = tf.keras.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b


def test_utils_clear_session_restarts_layer_names():
    tf.keras.layers.Dense(1)
    tf.keras.utils.clear_session()
    assert tf.keras.layers.Dense(1).name == "dense"


# -- to_categorical ---------------------------------------------------------------------------
def test_to_categorical_of_numpy_is_float64_and_of_a_tensor_float32_as_keras3():
    assert tf.keras.utils.to_categorical(np.array([0, 2])).dtype == np.float64
    assert tf.keras.utils.to_categorical([0, 2], 3).dtype == np.float64
    out = tf.keras.utils.to_categorical(tf.constant([[1], [0]]), 2)
    assert out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [[0, 1], [1, 0]])


# -- BackupAndRestore -------------------------------------------------------------------------
def _backup_setup():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 1)).astype(
        np.float32)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    model.set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
    model.compile(tf.keras.optimizers.Adam(0.01), "mse")
    return model, x, y


def test_backup_and_restore_keeps_keras3_files_resumes_exactly_and_deletes_its_folder(tmp_path):
    backup_dir = tmp_path / "backup"
    reference, x, y = _backup_setup()
    reference.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)

    class Crash(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")
    model, _, _ = _backup_setup()
    backup = tf.keras.callbacks.BackupAndRestore(backup_dir)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[backup, Crash()])
    assert sorted(p.name for p in backup_dir.iterdir()) == ["latest.weights.h5",
                                                            "training_metadata.json"]
    assert json.loads((backup_dir / "training_metadata.json").read_text()) == \
        {"epoch": 2, "batch": 0}
    resumed, _, _ = _backup_setup()   # a fresh process's model: Adam's state comes from the file
    epochs = []
    resumed.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0, callbacks=[
        tf.keras.callbacks.BackupAndRestore(backup_dir),
        tf.keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == [2, 3]
    for got, want in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert not backup_dir.exists()


def test_backup_and_restore_with_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    model, x, y = _backup_setup()
    backup = tf.keras.callbacks.BackupAndRestore(backup_dir, double_checkpoint=True,
                                                 delete_checkpoint=False)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[backup])
    assert (backup_dir / "latest.weights.h5.bkp").exists()
    (backup_dir / "latest.weights.h5").write_bytes(b"not hdf5")
    resumed, _, _ = _backup_setup()
    epochs = []
    resumed.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[
        tf.keras.callbacks.BackupAndRestore(backup_dir, double_checkpoint=True),
        tf.keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == [1, 2]


def _half(x):
    return x * 0.5


def _tenth(shape, dtype=None):
    return tf.ones(shape, dtype) * 0.1


def _small_l1(w):
    return 0.01 * tf.reduce_sum(tf.abs(w))


def _clip(w):
    return tf.clip_by_value(w, -1.0, 1.0)


def _sq(y, p):
    return tf.reduce_mean(tf.square(y - p))


def test_functions_of_the_users_load_from_custom_objects_or_a_scope(tmp_path):
    # Keras 3 writes a plain function as {"class_name": "function", "config": name, ...}: an
    # activation, initializer, regularizer, constraint, loss and metric of the user's resolve
    # through custom_objects (or a custom_object_scope), as in Keras 3
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(
        2, activation=_half, kernel_initializer=_tenth, kernel_regularizer=_small_l1,
        kernel_constraint=_clip)])
    model.compile("adam", loss=_sq, metrics=[_sq])
    x, y = np.ones((8, 3), np.float32), np.ones((8, 2), np.float32)
    model.fit(x, y, verbose=0)
    path = str(tmp_path / "custom.keras")
    model.save(path)
    config = model.layers[0].get_config()
    assert config["activation"]["class_name"] == "function"
    objects = {f.__name__: f for f in (_half, _tenth, _small_l1, _clip, _sq)}
    loaded = tf.keras.models.load_model(path, custom_objects=objects)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    dense = loaded.layers[0]
    assert (dense.activation, dense.kernel_regularizer, dense.kernel_constraint) == (
        _half, _small_l1, _clip)
    assert sorted(loaded.fit(x, y, verbose=0).history) == ["_sq", "loss"]
    with tf.keras.utils.custom_object_scope(objects):
        again = tf.keras.layers.Dense.from_config(config)
    assert again.activation is _half
    with pytest.raises(Exception, match="_half"):
        tf.keras.layers.Dense.from_config({**config, "activation": {
            "module": "builtins", "class_name": "function", "config": "_half",
            "registered_name": "function"}})
