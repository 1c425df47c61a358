"""Vocabulary lookups (Keras 3): `StringLookup` and `IntegerLookup` map tokens to indices (or,
with `invert=True`, indices to tokens) through a vocabulary given or learned by `adapt`, with
Keras's index layout — `[mask_token] (int mode only) + [oov_token] * num_oov_indices +
vocabulary` — and its output modes (int, one_hot, multi_hot, count, tf_idf).

The vocabulary lives on the host as a table (`VocabularyTable`, `InverseTable`) read by the
`lookup_table_find` host op: eagerly it runs at once; in a compiled function it is a host
callback that `explain()` counts (a graph holding tf.string values runs on the interpreter,
which `explain()` reports too)."""
import math
import os

import numpy as np

from .... import dtypes
from ....data.dataset import Dataset
from ....errors import InvalidArgumentError
from ....ir.types import TensorType
from ....ops import array_ops as A
from ....ops._args import to_tensor
from ....ops.hash_ops import fingerprint64, siphash24
from ....ops.lookup_ops import HostTable, find
from ....tensor import Tensor
from ... import backend
from ..layer import Layer
from ._adapt import adapt_batches, as_numpy
from .encoding import check_output_mode, encode_categorical
from .sparse_output import check_sparse_mode

__all__ = ["StringLookup", "IntegerLookup", "VocabularyTable", "InverseTable", "IndexLookup"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _key(token, strings):
    """A token as the table holds it: bytes for strings, a Python int for integers."""
    if strings:
        if isinstance(token, str):
            return token.encode("utf-8")
        if isinstance(token, (bytes, np.bytes_)):
            return bytes(token)
        raise ValueError(f"StringLookup: vocabulary entries must be strings, got {token!r}")
    return int(token)


def _shown(key, strings):
    return key.decode("utf-8", "replace") if strings and isinstance(key, bytes) else key


class VocabularyTable(HostTable):
    """token -> index with Keras's layout (mask at 0 in int mode, then the OOV indices, then
    the vocabulary); OOV tokens hash (strings: FarmHash64, or SipHash with a salt) or take
    `token % num_oov_indices` (integers) into the OOV indices."""

    def __init__(self, layer):
        self.name = layer.name
        self.strings = layer._strings
        self.index = {k: i + layer._token_start_index() for i, k in enumerate(layer._vocab)}
        self.oov_start = layer._oov_start_index()
        self.num_oov = layer.num_oov_indices
        self.mask_key = None if layer.mask_token is None else _key(layer.mask_token,
                                                                   self.strings)
        self.int_mode = layer.output_mode == "int"
        self.oov_method = layer.oov_method
        self.salt = layer._salt_key

    def output_type(self, in_type):
        ok = in_type.dtype is dtypes.string if self.strings else in_type.dtype.is_integer
        if not ok:
            want = "tf.string" if self.strings else "integer"
            raise InvalidArgumentError(f"{self.name}: expected {want} inputs, got "
                                       f"{in_type.dtype.name}")
        return TensorType(dtypes.int64, in_type.shape)

    def _oov(self, key):
        if self.num_oov == 1:
            return self.oov_start
        if self.num_oov == 0:
            return None
        if not self.strings and self.oov_method == "floormod":
            return self.oov_start + key % self.num_oov
        data = key if self.strings else str(key).encode()
        h = fingerprint64(data) if self.salt is None else siphash24(self.salt, data)
        return self.oov_start + h % self.num_oov

    def find(self, array):
        flat = np.asarray(array).ravel()
        out = np.empty(flat.shape, np.int64)
        missing = []
        for i, v in enumerate(flat):
            k = bytes(v) if self.strings else int(v)
            if self.mask_key is not None and k == self.mask_key:
                out[i] = 0 if self.int_mode else -1
                continue
            idx = self.index.get(k)
            if idx is None:
                idx = self._oov(k)
                if idx is None:
                    missing.append(_shown(k, self.strings))
                    continue
            out[i] = idx
        if missing:
            raise InvalidArgumentError(
                f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                f"{missing[:5]}, consider setting `num_oov_indices=1`.")
        return out.reshape(np.shape(array))


class InverseTable(HostTable):
    """index -> token (`invert=True`): the mask index gives the mask token, OOV and
    out-of-range indices the OOV token."""

    def __init__(self, layer):
        self.name = layer.name
        self.strings = layer._strings
        self.tokens = layer._vocab
        self.start = layer._token_start_index()
        self.mask = None if layer.mask_token is None else _key(layer.mask_token, self.strings)
        self.oov = _key(layer.oov_token, self.strings)

    def output_type(self, in_type):
        if not in_type.dtype.is_integer:
            raise InvalidArgumentError(f"{self.name}: invert=True expects integer indices, got "
                                       f"{in_type.dtype.name}")
        return TensorType(dtypes.string if self.strings else dtypes.int64, in_type.shape)

    def find(self, array):
        flat = np.asarray(array).ravel()
        out = np.empty(flat.shape, object if self.strings else np.int64)
        n = len(self.tokens)
        for i, v in enumerate(flat):
            v = int(v)
            if self.mask is not None and v == 0:
                out[i] = self.mask
            elif self.start <= v < self.start + n:
                out[i] = self.tokens[v - self.start]
            else:
                out[i] = self.oov
        return out.reshape(np.shape(array))


class IndexLookup(Layer):
    """The shared implementation of StringLookup and IntegerLookup (Keras's IndexLookup)."""

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    _strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", salt=None,
                 **kwargs):
        super().__init__(**kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        check_output_mode(output_mode, _MODES)
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        check_sparse_mode(sparse, output_mode, ("one_hot", "multi_hot", "count", "tf_idf"))
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                             f"Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"`oov_method` must be one of ['floormod', 'farmhash']. Received: "
                             f"oov_method={oov_method}")
        if salt is not None and oov_method != "farmhash" and not self._strings:
            raise ValueError(f"`salt` can only be used when `oov_method='farmhash'`. Received: "
                             f"oov_method={oov_method}")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode, self.sparse = invert, output_mode, sparse
        self.pad_to_max_tokens, self.oov_method, self.salt = pad_to_max_tokens, oov_method, salt
        self._salt_key = None if salt is None else (
            (int(salt), int(salt)) if isinstance(salt, int) else (int(salt[0]), int(salt[1])))
        self.input_vocabulary, self.input_idf_weights = vocabulary, idf_weights
        self._vocab = []
        self.idf_weights = None
        self._has_input_vocabulary = vocabulary is not None
        self._table = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif output_mode == "tf_idf" and idf_weights is not None:
            raise ValueError("`idf_weights` needs a `vocabulary` to go with it")
        self.built = True

    # -- the index layout ---------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self):
        return [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices

    def _out_token(self, key):
        return _shown(key, self._strings)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary as a list, by index (with the mask and OOV tokens first unless
        `include_special_tokens=False`)."""
        tokens = [self._out_token(k) for k in self._vocab]
        if not include_special_tokens:
            return tokens
        return self._special_tokens() + tokens

    def vocabulary_size(self):
        """The number of indices: the vocabulary plus the mask and OOV indices."""
        return len(self._vocab) + self._token_start_index()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, array, tensor, or a text file with one token a line) and,
        in tf_idf mode, its idf weights."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if isinstance(vocabulary, str):
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
            if not self._strings:
                vocabulary = [int(v) for v in vocabulary]
        if isinstance(vocabulary, (Tensor, np.ndarray)):
            vocabulary = np.asarray(as_numpy(vocabulary)).ravel().tolist()
        tokens = [_key(t, self._strings) for t in vocabulary]
        specials = [_key(t, self._strings) for t in self._special_tokens()]
        found_specials = len(specials) > 0 and tokens[:len(specials)] == specials
        if found_specials:
            tokens = tokens[len(specials):]
        if len(set(tokens)) != len(tokens):
            repeated = sorted({_shown(t, self._strings) for t in tokens if tokens.count(t) > 1},
                              key=str)
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {repeated}")
        if self.mask_token is not None and _key(self.mask_token, self._strings) in tokens:
            raise ValueError(f"Found reserved mask token at unexpected location in "
                             f"`vocabulary`. Note that passed `vocabulary` does not need to "
                             f"include the OOV and mask tokens. Either remove all mask and OOV "
                             f"tokens, or include them only at the start of the vocabulary in "
                             f"precisely this order: {self._special_tokens()}. Received: "
                             f"mask_token={self.mask_token} at vocabulary index "
                             f"{tokens.index(_key(self.mask_token, self._strings))}")
        if self.oov_token is not None and self.num_oov_indices and \
                _key(self.oov_token, self._strings) in tokens and not self.invert:
            raise ValueError(f"Found reserved OOV token at unexpected location in `vocabulary`. "
                             f"Received: oov_token={self.oov_token}")
        if self.max_tokens is not None and len(tokens) + self._token_start_index() > \
                self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is "
                             f"{len(tokens) + self._token_start_index()}; `max_tokens` is "
                             f"{self.max_tokens}.")
        self._vocab = tokens
        self._table = None
        if self.output_mode == "tf_idf":
            weights = np.asarray(as_numpy(idf_weights), "float64").ravel()
            if len(weights) != len(tokens) + (len(specials) if found_specials else 0):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {len(weights)}; len(vocabulary) is "
                                 f"{len(tokens)}")
            if not found_specials:
                weights = np.concatenate([np.full(self._token_start_index(),
                                                  np.average(weights)), weights])
            self._set_idf(weights)

    def _set_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        self.idf_weights = A.constant(np.asarray(weights, backend.floatx()))

    # -- adapt --------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from `data` (array, list, tensor or Dataset): tokens by
        decreasing frequency (ties: by decreasing token), at most `max_tokens` indices."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             f"vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             f"method.")
        def rows():
            for batch in adapt_batches(data, batch_size, steps):
                batch = np.asarray(batch)
                if batch.ndim == 0 or (batch.ndim == 1 and isinstance(data, Dataset)):
                    batch = batch.reshape(1, -1)       # one document
                elif batch.ndim == 1:
                    batch = batch.reshape(-1, 1)       # a plain list: as many documents
                for row in batch.reshape(batch.shape[0], -1):
                    yield row.tolist()
        self._learn(rows())

    def _learn(self, documents):
        """Learn the vocabulary (and idf weights) from an iterable of token lists."""
        counts, doc_counts, num_docs = {}, {}, 0
        for row in documents:
            keys = [_key(t, self._strings) for t in row]
            for k in keys:
                counts[k] = counts.get(k, 0) + 1
            for k in set(keys):
                doc_counts[k] = doc_counts.get(k, 0) + 1
            num_docs += 1
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(_key(special, self._strings), None)
        order = sorted(counts, key=lambda k: (counts[k], k), reverse=True)
        if self.max_tokens:
            order = order[:max(self.max_tokens - self._token_start_index(), 0)]
        self._vocab = order
        self._table = None
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + num_docs / (1 + doc_counts[k])) for k in order])
            idf = idf.astype(backend.floatx()).astype("float64")
            mean = float(np.mean(idf)) if len(idf) else 0.0
            self._set_idf(np.concatenate([np.full(self._token_start_index(), mean), idf]))

    # -- saving (Keras 3's `.keras` assets) -----------------------------------------------------
    def save_assets(self, dir_path):
        """Write a learned vocabulary to `dir_path/vocabulary.txt` (one token a line, special
        tokens first, as Keras); in tf_idf mode also `idf_weights.npy`. A vocabulary given to
        the constructor is in the config instead."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary()))
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            np.save(os.path.join(dir_path, "idf_weights.npy"), self.idf_weights.numpy())

    def load_assets(self, dir_path):
        """Read what `save_assets` wrote (Keras 3's `vocabulary.txt`)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "" and len(lines) > self._oov_start_index():
            lines.pop()
        values = lines if self._strings else [int(v) for v in lines]
        idf = None
        if self.output_mode == "tf_idf":
            idf_path = os.path.join(dir_path, "idf_weights.npy")
            if not os.path.exists(idf_path):
                raise ValueError(f"{self.name}: the saved tf_idf layer has no idf_weights.npy "
                                 f"asset (Keras 3 keeps them in the weights file, which "
                                 f"autograph_jit does not read for lookups); adapt it again")
            idf = np.load(idf_path)
        self._has_input_vocabulary = False
        self.set_vocabulary(values, idf)

    # -- call ---------------------------------------------------------------------------------
    def _lookup_table(self):
        if self._table is None:
            self._table = InverseTable(self) if self.invert else VocabularyTable(self)
        return self._table

    def call(self, inputs):
        x = to_tensor(inputs)
        if not self._strings and not self.invert and x.dtype.is_floating:
            raise ValueError(f"{self.name}: IntegerLookup expects integer inputs, got "
                             f"{x.dtype.name}")
        if self._strings and not self.invert and x.dtype is not dtypes.string:
            raise ValueError(f"{self.name}: StringLookup expects string inputs, got "
                             f"{x.dtype.name}. Fix: tf.strings.as_string, or IntegerLookup")
        ids = find(self._lookup_table(), x)
        if self.output_mode == "int":
            return ids
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be "
                                 "provided (or call `adapt`).")
            return encode_categorical(ids, "tf_idf", depth, backend.floatx(),
                                      idf_weights=self.idf_weights, check_range=False,
                                      sparse=self.sparse, layer_name=self.name)
        return encode_categorical(ids, self.output_mode, depth, "int64", check_range=False,
                                  sparse=self.sparse, layer_name=self.name)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        shape = tuple(input_shape)
        if self.output_mode == "one_hot" and (not shape or shape[-1] != 1):
            return shape + (depth,)
        return shape[:-1] + (depth,) if shape else (depth,)

    def get_config(self):
        config = super().get_config()
        vocabulary = self.input_vocabulary
        if isinstance(vocabulary, (np.ndarray, Tensor)):
            vocabulary = [self._out_token(_key(t, self._strings)) for t in
                          np.asarray(as_numpy(vocabulary)).ravel().tolist()]
        elif isinstance(vocabulary, (list, tuple)):
            vocabulary = [self._out_token(_key(t, self._strings)) for t in vocabulary]
        idf = self.input_idf_weights
        config.update(
            invert=self.invert, max_tokens=self.max_tokens,
            num_oov_indices=self.num_oov_indices, oov_token=self.oov_token,
            mask_token=self.mask_token, output_mode=self.output_mode, sparse=self.sparse,
            pad_to_max_tokens=self.pad_to_max_tokens,
            idf_weights=None if idf is None else np.asarray(as_numpy(idf)).tolist(),
            vocabulary=vocabulary,
            vocabulary_size=self.vocabulary_size() if vocabulary is not None else None,
            oov_method=self.oov_method, salt=self.salt)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("vocabulary_size", None)
        return super().from_config(config)


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (`invert=True`: indices to strings).

    Args: `max_tokens=None`, `num_oov_indices=1`, `mask_token=None`, `oov_token='[UNK]'`,
    `vocabulary=None` (a list, array, tensor or text file; else `adapt(data)`),
    `idf_weights=None`, `invert=False`, `output_mode='int'` ('one_hot', 'multi_hot',
    'count', 'tf_idf'), `pad_to_max_tokens=False`, `sparse=False` (True, in a non-int mode:
    a `tf.sparse.SparseTensor`, eager calls only), `encoding='utf-8'`.
    Index 0 is the mask (when `mask_token` is set, int mode), then the OOV indices, then the
    vocabulary. Runs on the host (the `lookup_table_find` op).

    >>> layer = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"])
    >>> layer([["a", "c"], ["z", "b"]]).numpy()
    array([[1, 3],
           [0, 2]])
    >>> layer.get_vocabulary()
    ['[UNK]', 'a', 'b', 'c']
    >>> inverse = tf.keras.layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)
    >>> inverse([[1, 3, 0]]).numpy()
    array([[b'a', b'c', b'[UNK]']], dtype=object)
    """

    _strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 **kwargs):
        if encoding not in ("utf-8", "UTF-8", "utf8"):
            raise ValueError(f"StringLookup: only encoding='utf-8' is supported, got "
                             f"{encoding!r}")
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, name=name,
                         **kwargs)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (`invert=True`: back).

    Args: `max_tokens=None`, `num_oov_indices=1`, `mask_token=None`, `oov_token=-1`,
    `vocabulary=None` (else `adapt(data)`), `vocabulary_dtype='int64'`, `idf_weights=None`,
    `invert=False`, `output_mode='int'`, `sparse=False` (True, in a non-int mode: a
    `tf.sparse.SparseTensor`, eager calls only), `pad_to_max_tokens=False`. With
    several OOV indices an OOV value `v` takes `v % num_oov_indices` (`oov_method='floormod'`)
    or its FarmHash (`'farmhash'`, `salt=`).

    >>> layer = tf.keras.layers.IntegerLookup(vocabulary=[10, 20, 30])
    >>> layer([[10, 30, 99]]).numpy()
    array([[1, 3, 0]])
    >>> layer.get_vocabulary()
    [-1, 10, 20, 30]
    """

    _strings = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, name=None,
                 **kwargs):
        if vocabulary_dtype not in ("int32", "int64"):
            raise ValueError(f"IntegerLookup: vocabulary_dtype must be 'int32' or 'int64', got "
                             f"{vocabulary_dtype!r}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, name=name,
                         **kwargs)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config
