"""StringLookup, IntegerLookup and TextVectorization: the numbers TF 2.21 / Keras 3 gives
(recorded below, made once with real TF), Python references, adapt from arrays and Datasets,
invert, output modes, errors, config round trips, `Dataset.map`, and models trained by `fit`
(an integer lookup compiles with one host callback; string inputs run the step on the
interpreter, which `explain()` says)."""
import collections
import math

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.keras import layers

V = ["a", "b", "c", "d"]
DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, cats AND dogs?"]


def _explain_after_call(fn, *args):
    concrete = fn.get_concrete_function(*args)
    fn(*args)
    return concrete.explain()


# -- StringLookup / IntegerLookup --------------------------------------------------------------

def test_string_lookup_matches_tf():
    layer = layers.StringLookup(vocabulary=V)
    assert layer([["a", "c", "z"], ["d", "", "b"]]).numpy().tolist() == [[1, 3, 0], [4, 0, 2]]
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c", "d"]
    assert layer.vocabulary_size() == 5 and layer(["a"]).dtype == tf.int64
    masked = layers.StringLookup(vocabulary=V, mask_token="", num_oov_indices=2)
    assert masked([["a", "c", "z"], ["d", "", "b"]]).numpy().tolist() == [[3, 5, 2], [6, 0, 4]]
    assert masked.get_vocabulary() == ["", "[UNK]", "[UNK]", "a", "b", "c", "d"]
    assert masked.get_vocabulary(include_special_tokens=False) == V
    pytest.importorskip("farmhash")
    hashed = layers.StringLookup(vocabulary=V, num_oov_indices=3)
    assert hashed(["x", "y", "hello", "a"]).numpy().tolist() == [2, 2, 1, 3]   # TF 2.21


def test_string_lookup_output_modes_match_tf():
    multi = layers.StringLookup(vocabulary=V, output_mode="multi_hot")
    assert multi(["a", "z"]).numpy().tolist() == [1, 1, 0, 0, 0]
    assert multi([["a", "z"], ["b", "b"]]).numpy().tolist() == [[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]]
    one_hot = layers.StringLookup(vocabulary=V, output_mode="one_hot")
    assert one_hot(["a", "z"]).numpy().tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    count = layers.StringLookup(vocabulary=V, output_mode="count", mask_token="")
    assert count([["a", "", "a"]]).numpy().tolist() == [[0, 2, 0, 0, 0]]
    padded = layers.StringLookup(vocabulary=V, output_mode="multi_hot", pad_to_max_tokens=True,
                                 max_tokens=8)
    assert padded(["a"]).numpy().tolist() == [0, 1, 0, 0, 0, 0, 0, 0]


def test_string_lookup_invert_matches_tf():
    inverse = layers.StringLookup(vocabulary=V, invert=True)
    assert inverse([[1, 0, 4, 7]]).numpy().tolist() == [[b"a", b"[UNK]", b"d", b"[UNK]"]]
    masked = layers.StringLookup(vocabulary=V, invert=True, mask_token="")
    assert masked([[1, 0, 4, 5]]).numpy().tolist() == [[b"[UNK]", b"", b"c", b"d"]]
    forward = layers.StringLookup(vocabulary=V)
    words = np.array([[b"c", b"a"], [b"d", b"b"]], dtype=object)
    assert inverse(forward(words)).numpy().tolist() == words.tolist()


def test_string_lookup_adapt_orders_by_count_then_token_as_tf():
    tokens = ["b", "a", "c", "b", "a", "b", "d", "e", "e"]
    layer = layers.StringLookup()
    layer.adapt(tokens)
    counts = collections.Counter(tokens)
    want = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    assert layer.get_vocabulary() == ["[UNK]"] + want == ["[UNK]", "b", "e", "a", "d", "c"]
    capped = layers.StringLookup(max_tokens=3)
    capped.adapt(tf.data.Dataset.from_tensor_slices([["b", "a"], ["c", "b"]]))
    assert capped.get_vocabulary() == ["[UNK]", "b", "c"]


def test_string_lookup_tf_idf_matches_tf():
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "b", "a"], ["a", "c", "c"]])
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = [math.log(1 + 2 / 3), math.log(2), math.log(2)]
    np.testing.assert_allclose(layer.idf_weights.numpy(), [np.mean(idf)] + idf, rtol=1e-6)
    np.testing.assert_allclose(layer([["a", "c", "z", "c"]]).numpy(),
                               [[0.632373, 0.510826, 1.386294, 0.0]], rtol=1e-5)   # TF 2.21


def test_integer_lookup_matches_tf():
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30])
    assert layer([[10, 30, 99, -1]]).numpy().tolist() == [[1, 3, 0, 0]]
    assert layer.get_vocabulary() == [-1, 10, 20, 30]
    several = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=3, mask_token=0)
    assert several([[10, 30, 99, 7, 0]]).numpy().tolist() == [[4, 6, 1, 2, 0]]   # floormod
    assert several.get_vocabulary() == [0, -1, -1, -1, 10, 20, 30]
    learned = layers.IntegerLookup()
    learned.adapt(np.array([5, 3, 3, 7, 5, 3]))
    assert learned.get_vocabulary() == [-1, 3, 5, 7]
    assert learned(np.array([3, 5, 8])).numpy().tolist() == [1, 2, 0]
    inverse = layers.IntegerLookup(vocabulary=[10, 20, 30], invert=True)
    assert inverse([0, 1, 3, 5]).numpy().tolist() == [-1, 10, 30, -1]
    one_hot = layers.IntegerLookup(vocabulary=[10, 20, 30], output_mode="one_hot")
    assert one_hot([10, 5]).numpy().tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]


def test_lookup_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=V, num_oov_indices=0)(["z"])
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.StringLookup(vocabulary=V).adapt(["a"])
    with pytest.raises(ValueError, match="expects string inputs"):
        layers.StringLookup(vocabulary=V)(np.array([1, 2]))
    with pytest.raises(ValueError, match="`invert` is true"):
        layers.StringLookup(vocabulary=V, invert=True, output_mode="multi_hot")
    with pytest.raises(ValueError, match="idf_weights"):
        layers.StringLookup(vocabulary=V, output_mode="tf_idf")


def test_lookup_vocabulary_from_a_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    assert layers.StringLookup(vocabulary=str(path))(["c", "q"]).numpy().tolist() == [3, 0]


@pytest.mark.parametrize("layer", [
    layers.StringLookup(vocabulary=V, mask_token="", num_oov_indices=2),
    layers.StringLookup(vocabulary=V, output_mode="tf_idf", idf_weights=[0.5, 1.0, 1.5, 2.0]),
    layers.IntegerLookup(vocabulary=[10, 20], output_mode="count"),
    layers.IntegerLookup(vocabulary=[10, 20], invert=True)], ids=lambda layer: layer.name)
def test_lookup_config_round_trip(layer):
    x = np.array([[0, 1]]) if layer.invert else (
        np.array([[10, 20, 5]]) if isinstance(layer, layers.IntegerLookup) else
        np.array([["a", "c", "q"]], dtype=object))
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())
    assert config["vocabulary_size"] == layer.vocabulary_size()


def test_integer_lookup_compiles_with_one_host_callback_and_trains_in_fit():
    layer = layers.IntegerLookup(vocabulary=[0, 1, 2, 3], output_mode="multi_hot")
    fn = tf.function(lambda v: layer(v))
    ids = np.random.RandomState(0).randint(0, 6, size=(64, 3))
    np.testing.assert_array_equal(fn(tf.constant(ids)).numpy(), layer(ids).numpy())
    assert "1 host callbacks" in _explain_after_call(fn, tf.constant(ids))
    model = tf.keras.Sequential([tf.keras.Input((3,), dtype="int64"), layer, layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(ids, ids[:, :1].astype("float32"), batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_string_lookup_in_dataset_map():
    layer = layers.StringLookup(vocabulary=V)
    ds = tf.data.Dataset.from_tensor_slices(np.array(["a", "z", "d", "c"])).batch(2).map(layer)
    assert [b.numpy().tolist() for b in ds] == [[1, 0], [4, 3]]


# -- TextVectorization -------------------------------------------------------------------------

def test_text_vectorization_adapt_and_int_output_match_tf():
    layer = layers.TextVectorization()
    layer.adapt(DOCS)
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "dogs", "cats", "and", "sat", "on",
                                      "my", "mat", "homework", "dog", "cat", "ate"]
    assert layer(DOCS).numpy().tolist() == [[2, 12, 6, 7, 2, 9], [2, 11, 13, 8, 10, 0],
                                            [4, 5, 3, 4, 5, 3]]
    assert layer(["the unknown cat"]).numpy().tolist() == [[2, 1, 12]]
    capped = layers.TextVectorization(output_sequence_length=4, max_tokens=6)
    capped.adapt(tf.data.Dataset.from_tensor_slices(DOCS).batch(2))
    assert capped.get_vocabulary() == ["", "[UNK]", "the", "dogs", "cats", "and"]
    assert capped(DOCS).numpy().tolist() == [[2, 1, 1, 1], [2, 1, 1, 1], [4, 5, 3, 4]]


def test_text_vectorization_modes_and_ngrams_match_tf():
    multi = layers.TextVectorization(output_mode="multi_hot", ngrams=2, max_tokens=8)
    multi.adapt(DOCS)
    assert multi.get_vocabulary() == ["[UNK]", "the", "dogs", "cats and", "cats", "and dogs",
                                      "and", "the mat"]
    assert multi(DOCS[:2]).numpy().tolist() == [[1, 1, 0, 0, 0, 0, 0, 1],
                                                [1, 1, 0, 0, 0, 0, 0, 0]]
    count = layers.TextVectorization(output_mode="count", vocabulary=["cat", "the", "dog"])
    assert count(DOCS).numpy().tolist() == [[3, 1, 2, 0], [3, 0, 1, 1], [6, 0, 0, 0]]
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(DOCS)
    np.testing.assert_allclose(tfidf(DOCS[:1]).numpy(), [[0.0, 1.38629, 0.0, 0.0, 0.0, 0.91629,
                                                          0.91629, 0.0, 0.91629, 0.0, 0.0,
                                                          0.91629, 0.0]], rtol=1e-5)
    bigrams = layers.TextVectorization(ngrams=(2,), vocabulary=["the cat", "cat sat"])
    assert bigrams(["the cat sat"]).numpy().tolist() == [[2, 3]]


def test_text_vectorization_standardize_split_and_shapes_match_tf():
    chars = layers.TextVectorization(standardize=None, split="character", vocabulary=["a", "b"])
    assert chars(["abca", "B"]).numpy().tolist() == [[2, 3, 1, 2], [1, 0, 0, 0]]
    layer = layers.TextVectorization(vocabulary=["a", "b"])
    assert layer(np.array([["a b"], ["b"]])).numpy().tolist() == [[2, 3], [3, 0]]
    assert layer("a").numpy().tolist() == [2]
    fixed = layers.TextVectorization(output_sequence_length=3, vocabulary=["a", "b"])
    assert fixed(["a b a b a", ""]).numpy().tolist() == [[2, 3, 2], [0, 0, 0]]
    lower = layers.TextVectorization(standardize="lower", vocabulary=["a.", "b"])
    assert lower(["A. b."]).numpy().tolist() == [[2, 1]]
    custom = layers.TextVectorization(standardize=tf.strings.upper, split=None,
                                      vocabulary=["AB C"])
    assert custom(["ab c", "x"]).numpy().tolist() == [[2], [1]]


def test_text_vectorization_reference_tokenizer():
    """The int output against a plain-Python tokenizer (lower, strip punctuation, split)."""
    layer = layers.TextVectorization()
    layer.adapt(DOCS)
    vocab = {w: i for i, w in enumerate(layer.get_vocabulary())}
    table = str.maketrans("", "", "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'")
    rows = [[vocab.get(w, 1) for w in d.lower().translate(table).split()] for d in DOCS]
    width = max(map(len, rows))
    assert layer(DOCS).numpy().tolist() == [r + [0] * (width - len(r)) for r in rows]


def test_text_vectorization_config_round_trip_and_errors():
    layer = layers.TextVectorization(max_tokens=5, output_sequence_length=3,
                                     vocabulary=["x", "y"], ngrams=2)
    config = layer.get_config()
    assert config["vocabulary_size"] == 4 and config["standardize"] == \
        "lower_and_strip_punctuation"
    clone = layers.TextVectorization.from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(clone(["x y z"]).numpy(), layer(["x y z"]).numpy())
    assert layers.TextVectorization(max_tokens=5).get_config()["vocabulary_size"] == 2
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(tf.errors.InvalidArgumentError, match="string inputs"):
        layers.TextVectorization(vocabulary=["a"])(np.array([1, 2]))


def test_text_vectorization_in_dataset_map_and_in_a_model_fit():
    texts = np.array([["the cat sat"], ["the dog"], ["a cat"], ["dog dog"]] * 8)
    y = np.array([1, 0, 1, 0] * 8, "float32")
    vectorize = layers.TextVectorization(output_sequence_length=4)
    vectorize.adapt(texts)
    ds = tf.data.Dataset.from_tensor_slices((texts[:, 0], y)).batch(8).map(
        lambda x, t: (vectorize(x), t))
    first = next(iter(ds))[0].numpy()
    np.testing.assert_array_equal(first, vectorize(texts[:8, 0]).numpy())
    model = tf.keras.Sequential([tf.keras.Input((1,), dtype="string"), vectorize,
                                 layers.Embedding(10, 4), layers.GlobalAveragePooling1D(),
                                 layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(texts, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(texts[:3], verbose=0).shape == (3, 1)
    batch = (tf.constant(texts[:8]), tf.constant(y[:8]))
    report = _explain_after_call(model.train_function, batch)
    assert "runs on the interpreter: it holds tf.string values" in report


def test_string_lookup_model_trains_in_fit_and_integer_lookup_maps_a_dataset():
    words = np.array([["a"], ["b"], ["c"], ["a"]] * 8)
    y = np.array([1, 0, 0, 1] * 8, "float32")
    model = tf.keras.Sequential([tf.keras.Input((1,), dtype="string"),
                                 layers.StringLookup(vocabulary=["a", "b", "c"],
                                                     output_mode="one_hot"),
                                 layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(words, y, batch_size=8, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    lookup = layers.IntegerLookup(vocabulary=[7, 9])
    got = [b.numpy().tolist() for b in tf.data.Dataset.from_tensor_slices(
        np.array([9, 7, 3, 9])).batch(2).map(lookup)]
    assert got == [[2, 1], [0, 2]]


def test_a_keras_3_text_model_loads_with_its_learned_vocabulary():
    import os
    from .fixtures.make_preprocessing_fixtures import TEXTS
    here = os.path.join(os.path.dirname(__file__), "fixtures")
    model = tf.keras.models.load_model(os.path.join(here, "text.keras"))
    assert model.layers[0].get_vocabulary()[:4] == ["", "[UNK]", "the", "and"]
    x = np.array([[t] for t in TEXTS + ["an unknown word"]])
    want = np.load(os.path.join(here, "text_model.npz"))["y"]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_adapted_lookups_save_their_vocabulary_as_keras_assets(tmp_path):
    import zipfile
    vectorize = layers.TextVectorization(output_sequence_length=5)
    vectorize.adapt(DOCS)
    words = layers.IntegerLookup()
    words.adapt(np.array([5, 3, 3, 7]))
    model = tf.keras.Sequential([tf.keras.Input((1,), dtype="string"), vectorize,
                                 words, layers.Embedding(30, 2), layers.Flatten(),
                                 layers.Dense(1)])
    path = str(tmp_path / "text.keras")
    model.save(path)
    names = zipfile.ZipFile(path).namelist()
    assert "assets/layers/text_vectorization/vocabulary.txt" in names
    assert "assets/layers/integer_lookup/vocabulary.txt" in names
    # Keras 3 also reads the inner lookup's copy (checked by loading such a file in TF 2.21)
    assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
    loaded = tf.keras.models.load_model(path)
    assert loaded.layers[0].get_vocabulary() == vectorize.get_vocabulary()
    assert loaded.layers[1].get_vocabulary() == [-1, 3, 7, 5]
    x = np.array([[d] for d in DOCS])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.adapt([["a", "b", "a"], ["c", "c", "b"]])
    folder = tmp_path / "assets"
    folder.mkdir()
    tfidf.save_assets(str(folder))
    again = layers.StringLookup(output_mode="tf_idf")
    again.load_assets(str(folder))
    np.testing.assert_allclose(again([["a", "c"]]).numpy(), tfidf([["a", "c"]]).numpy())
