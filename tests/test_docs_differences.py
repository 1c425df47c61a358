"""Each claim of docs/differences.md ("Differences from TensorFlow"), one test a claim, named as
the page names it. A claim that stops being true fails here, and the page must change with it."""
import os
import warnings

import numpy as np
import pytest

import autograph_jit as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_claim_on_the_page_names_a_test_that_exists():
    import re
    text = open(os.path.join(ROOT, "docs", "differences.md")).read()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    defined = {n for n in globals() if n.startswith("test_")}
    assert named, "the page names no tests"
    assert named <= defined, f"the page names tests that do not exist: {sorted(named - defined)}"
    assert defined - named <= {"test_every_claim_on_the_page_names_a_test_that_exists"}, \
        f"tests no claim names: {sorted(defined - named)}"


# --- deliberate deviations -----------------------------------------------------------------------

def test_every_function_is_compiled_to_native_code_by_default():
    f = tf.function(lambda x: x * 2.0 + 1.0)
    cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert cf.backend == "cpu"
    cf(tf.ones([3]))
    assert len(cf.native_executables) == 1


def test_jit_compile_is_accepted_and_changes_nothing():
    f = tf.function(lambda x: x * 2.0, jit_compile=True)
    g = tf.function(lambda x: x * 2.0, jit_compile=False)
    x = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal(f(x).numpy(), g(x).numpy())
    assert f.get_concrete_function(x).backend == g.get_concrete_function(x).backend == "cpu"


def test_backend_eager_runs_the_graph_on_the_interpreter():
    f = tf.function(lambda x: tf.tanh(x) * 3.0, backend="eager")
    x = tf.constant([0.5, -1.0])
    cf = f.get_concrete_function(x)
    assert cf.backend == "eager"
    np.testing.assert_allclose(f(x).numpy(), np.tanh(x.numpy()) * 3.0, rtol=1e-6)


def test_strict_turns_an_interpreter_fallback_into_an_error():
    @tf.function(strict=True)
    def positives(x):
        return tf.boolean_mask(x, x > 0)
    with pytest.raises(tf.errors.FallbackError):
        positives(tf.constant([1.0, -1.0]))


def test_one_native_variant_per_input_shape():
    batch = tf.function(lambda x: x + 1.0).get_concrete_function(
        tf.TensorSpec([None, 3], tf.float32))
    for n in (2, 3, 7):
        batch(tf.ones([n, 3]))
    assert len(batch.native_executables) == 1      # the batch size is a run-time value
    inner = tf.function(lambda x: x + 1.0).get_concrete_function(
        tf.TensorSpec([2, None], tf.float32))
    inner(tf.ones([2, 2]))
    inner(tf.ones([2, 3]))
    assert len(inner.native_executables) == 2      # an inner unknown dim: one per shape


def test_concrete_functions_show_every_stage():
    cf = tf.function(lambda x: x * 2.0).get_concrete_function(tf.constant([1.0]))
    cf(tf.constant([1.0]))
    for name in ("optimized_graph", "llvm_ir", "asm", "explain", "to_dot", "render_graph",
                 "stages", "lower", "backend_report"):
        assert hasattr(cf, name), name
    assert "define" in cf.llvm_ir() and "digraph" in cf.to_dot()


def test_invalid_argument_error_is_also_a_value_error():
    assert issubclass(tf.errors.InvalidArgumentError, ValueError)
    with pytest.raises(ValueError):
        tf.reshape(tf.ones([6]), [4])


def test_python_print_in_a_function_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf.function(lambda x: print("traced", x) or x)(tf.constant(1))
    assert any("tf.print" in str(w.message) for w in caught)


def test_random_numbers_are_the_same_eagerly_and_in_a_function_but_not_tfs():
    tf.random.set_seed(3)
    eager = tf.random.normal([3]).numpy()
    tf.random.set_seed(3)
    graph = tf.function(lambda: tf.random.normal([3]))().numpy()
    np.testing.assert_array_equal(eager, graph)
    # TensorFlow 2.21 prints these for the same two lines (tf.random.set_seed(3); normal([3]))
    tf_values = np.array([-0.8296372294425964, -1.8266271352767944, 0.12519359588623047])
    assert not np.allclose(eager, tf_values)


def test_a_gpu_device_scope_without_a_gpu_warns_and_runs_on_the_cpu(monkeypatch):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    from autograph_jit import eager_context
    monkeypatch.setattr(eager_context, "_SOFT_PLACEMENT_WARNED", [])
    with pytest.warns(RuntimeWarning, match="soft device placement"):
        with tf.device("GPU:0"):
            y = tf.constant(1.0) + 1.0
    assert y.device.endswith("device:CPU:0")


def test_swap_ema_weights_restores_the_trained_weights_after_predict():
    keras = tf.keras
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                  loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 2)).astype(np.float32)
    for _ in range(3):
        model.train_on_batch(x, x.sum(1, keepdims=True))
    trained = model.get_weights()[0].copy()
    assert not np.allclose(trained, model.optimizer._model_variables_moving_average[0].numpy())
    model.predict(x, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    np.testing.assert_array_equal(model.get_weights()[0], trained)


def test_multi_head_attention_refuses_flash_attention():
    with pytest.raises(ValueError, match="flash_attention"):
        tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, flash_attention=True)


def test_eager_ops_in_a_gpu_scope_run_on_the_cpu_and_say_so(monkeypatch):
    from autograph_jit.codegen.gpu import function as gpu_function
    from autograph_jit.runtime.gpu import get_device
    emulator = get_device("emulator")   # a GPU for the GPU backend, on the host
    monkeypatch.setattr(gpu_function, "get_device", lambda kind=None: emulator)
    f = tf.function(lambda x: x * 2.0)
    with tf.device("GPU:0"):
        y = tf.constant([1.0, 2.0]) + 1.0
        assert f.get_concrete_function(y).backend == "gpu"
    assert y.device.endswith("device:CPU:0")


def test_keras_fit_uses_the_gpu_only_under_a_gpu_scope_at_the_call_or_at_compile(monkeypatch):
    from autograph_jit.codegen.gpu import function as gpu_function
    from autograph_jit.keras.models.step_function import concrete_functions_of
    from autograph_jit.runtime.gpu import get_device
    emulator = get_device("emulator")   # a GPU for the GPU backend, on the host
    monkeypatch.setattr(gpu_function, "get_device", lambda kind=None: emulator)
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)

    def backends(model):
        return {cf.backend for cf in concrete_functions_of(model._functions[("train_loop", 2)])}

    def make():
        model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model
    plain = make()
    plain.fit(x, y, batch_size=2, verbose=0)
    with tf.device("GPU:0"):
        made_there = make()
    made_there.fit(x, y, batch_size=2, verbose=0)
    assert backends(plain) == {"cpu"} and backends(made_there) == {"gpu"}


def test_saved_models_are_json_and_npz_not_protobuf(tmp_path):
    m = tf.Module()
    m.v = tf.Variable(2.0)
    m.f = tf.function(lambda x: x * m.v, input_signature=[tf.TensorSpec([], tf.float32)])
    tf.saved_model.save(m, str(tmp_path / "m"))
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "saved_model.json" in files and "saved_model.pb" not in files
    assert tf.saved_model.load(str(tmp_path / "m")).f(tf.constant(3.0)).numpy() == 6.0


# --- gaps ----------------------------------------------------------------------------------------

def test_for_else_over_a_tensor_loop_runs_as_python():
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
            if i == 2:
                break
        else:
            s += 100
        return s
    assert int(f(tf.constant(2))) == 101 and int(f(tf.constant(5))) == 3


def test_return_after_a_zero_trip_loop_follows_python():
    @tf.function
    def f(n):
        for i in tf.range(n):
            return i
        return tf.constant(-1)
    assert int(f(tf.constant(0))) == -1


def test_a_loop_variable_whose_shape_changes_is_relaxed_and_named():
    @tf.function
    def f(n):
        x = tf.zeros([1])
        for i in tf.range(n):
            x = tf.concat([x, [1.0]], 0)
        return x
    with pytest.warns(RuntimeWarning, match="'x' enters with shape"):
        assert f(tf.constant(2)).shape == [3]


def test_strings_in_a_function_run_as_a_reported_host_graph():
    f = tf.function(lambda s: tf.strings.upper(s))
    assert f(tf.constant("a")).numpy() == b"A"
    assert "host: all of" in f.get_concrete_function(tf.constant("a")).explain()


def test_ragged_tensors_are_eager_only():
    f = tf.function(lambda r: r + 1)
    with pytest.raises(TypeError, match="RaggedTensor"):
        f(tf.ragged.constant([[1], [2, 3]]))


def test_tracebacks_show_the_users_frames():
    import traceback
    try:
        tf.reduce_sum(tf.constant([1.0]), axis=4)
    except tf.errors.InvalidArgumentError as e:
        files = [f.filename for f in traceback.extract_tb(e.__traceback__)]
    assert not [f for f in files if "/autograph_jit/" in f and "api_boundary" not in f]


def test_category_encoding_rejects_out_of_range_ids():
    layer = tf.keras.layers.CategoryEncoding(num_tokens=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_tokens=3"):
        layer([[0, 3]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.function(lambda v: layer(v))(tf.constant([[0, 3]]))


def test_string_preprocessing_runs_on_the_host_and_says_so():
    lookup = tf.keras.layers.IntegerLookup(vocabulary=[1, 2])
    f = tf.function(lambda v: lookup(v))
    cf = f.get_concrete_function(tf.TensorSpec([None], tf.int64))
    cf(tf.constant([1, 5], tf.int64))
    assert "1 host callbacks" in cf.explain()
    words = tf.keras.layers.StringLookup(vocabulary=["a"])
    g = tf.function(lambda v: words(v))
    cg = g.get_concrete_function(tf.TensorSpec([None], tf.string))
    cg(tf.constant(["a", "b"]))
    assert "runs on the interpreter: it holds tf.string values" in cg.explain()


def test_preprocessing_sparse_ragged_outputs_are_eager_values():
    layers = tf.keras.layers
    encode = layers.CategoryEncoding(3, sparse=True)
    assert isinstance(encode([0, 2]), tf.sparse.SparseTensor)
    with pytest.raises(tf.errors.HostOnlyError):
        tf.function(lambda v: encode(v))(tf.constant([0, 2]))
    with pytest.raises(TypeError, match="to_dense"):
        list(tf.data.Dataset.from_tensor_slices([[0, 2]]).map(encode))
    words = layers.TextVectorization(ragged=True, vocabulary=["a"])
    assert isinstance(words(["a b", "a"]), tf.RaggedTensor)


def test_tf_savedmodels_do_not_load(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"\x08\x01")
    with pytest.raises(OSError, match="saved_model.json"):
        tf.saved_model.load(str(tmp_path))


def test_namespaces_not_written_yet_are_absent():
    for name in ("image", "signal", "lite", "compat", "estimator"):
        assert not hasattr(tf, name), name


def test_complex_ops_have_no_gradient_yet():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.math.real(tf.complex(x, 2.0) * tf.complex(x, 0.0))
    assert tape.gradient(y, x) is None


def test_less_common_string_ops_are_absent():
    for name in ("unicode_split", "format", "ngrams", "bytes_split"):
        assert not hasattr(tf.strings, name), name


def test_gpu_backend_refuses_to_run_on_this_machine(monkeypatch):
    from autograph_jit.runtime import cuda_probe
    available, _ = cuda_probe.probe()
    if available:
        pytest.skip("this machine has a CUDA driver: the GPU backend runs here")
    monkeypatch.delenv("AUTOGRAPH_JIT_GPU", raising=False)
    f = tf.function(lambda x: x + 1.0, backend="gpu")
    with pytest.raises(tf.errors.UnavailableError, match="AUTOGRAPH_JIT_GPU=emulator"):
        f(tf.constant(1.0))
