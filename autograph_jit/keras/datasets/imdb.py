"""`tf.keras.datasets.imdb`: movie reviews as lists of word indices, from `imdb.npz`, with
Keras' shuffling, index offsets and vocabulary cuts."""
import json

import numpy as np

from ._files import locate


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """((x_train, y_train), (x_test, y_test)): object arrays of int lists and int labels.

    Train and test are shuffled with `seed`; each review starts with `start_char`; word
    indices shift by `index_from`; words outside [skip_top, num_words) become `oov_char`
    (dropped when it is None); reviews longer than `maxlen` are dropped.

    The example reads a tiny file of the same layout (word-index lists and labels):

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "imdb.npz")
    >>> reviews = np.empty(2, dtype=object); reviews[0] = [1, 5, 9]; reviews[1] = [1, 4]
    >>> np.savez(path, x_train=reviews, y_train=np.array([1, 0]), x_test=reviews,
    ...          y_test=np.array([0, 1]))
    >>> (x_train, y_train), _ = tf.keras.datasets.imdb.load_data(path)
    >>> sorted(len(r) for r in x_train)   # each review gains start_char
    [3, 4]
    """
    with np.load(locate(path, "imdb.load_data"), allow_pickle=True) as f:
        x_train, labels_train = f["x_train"], f["y_train"]
        x_test, labels_test = f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]
    if start_char is not None:
        x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
        x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    elif index_from:
        x_train = [[w + index_from for w in x] for x in x_train]
        x_test = [[w + index_from for w in x] for x in x_test]
    else:
        x_train, x_test = [list(x) for x in x_train], [list(x) for x in x_test]
    if maxlen:
        keep = [i for i, x in enumerate(x_train) if len(x) < maxlen]
        x_train, labels_train = [x_train[i] for i in keep], labels_train[keep]
        keep = [i for i, x in enumerate(x_test) if len(x) < maxlen]
        x_test, labels_test = [x_test[i] for i in keep], labels_test[keep]
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    idx = len(x_train)
    x_train, y_train = _objects(xs[:idx]), labels[:idx]
    x_test, y_test = _objects(xs[idx:]), labels[idx:]
    return (x_train, y_train), (x_test, y_test)


def _objects(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def get_word_index(path="imdb_word_index.json"):
    """The word -> index dictionary (from `imdb_word_index.json`).

    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "imdb_word_index.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"the": 1, "movie": 17}, f)
    >>> tf.keras.datasets.imdb.get_word_index(path)["movie"]
    17
    """
    with open(locate(path, "imdb.get_word_index")) as f:
        return json.load(f)
