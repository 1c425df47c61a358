"""`TextVectorization` (Keras 3): strings -> standardized -> split into tokens -> n-grams ->
indices of a vocabulary (given or learned by `adapt`) -> int sequences (padded or cut to
`output_sequence_length`) or multi_hot / count / tf_idf vectors.

The text steps run on the host in one `lookup_table_find` op whose table (`TextTable`) does
TF's string work in Python: `lower` is ASCII-only as `tf.strings.lower`, punctuation is Keras's
`[!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~']`, `whitespace` splits on runs of ASCII whitespace as
`tf.strings.split`, `character` splits UTF-8 characters, n-grams join tokens with a space."""
import re

import numpy as np

from .... import dtypes
from ....errors import InvalidArgumentError
from ....ir.types import TensorType
from ....ops import math_ops as M
from ....ops._args import to_tensor
from ....ops.lookup_ops import HostTable, find
from ....ragged.ragged_tensor import RaggedTensor
from ....sparse import SparseTensor
from ....string_tensor import string_tensor
from ....tensor import Tensor
from ... import backend
from ..layer import Layer
from ._adapt import adapt_batches
from .encoding import check_output_mode
from .lookup import StringLookup
from .sparse_output import check_sparse_mode, require_eager

__all__ = ["TextVectorization", "TextTable"]

_PUNCTUATION = re.compile(rb'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _to_text_list(value):
    """A callable's result (tensor, ragged tensor, array, list) as nested Python lists."""
    if hasattr(value, "to_list"):
        return value.to_list()
    if isinstance(value, Tensor):
        value = value.numpy()
    return np.asarray(value, dtype=object).tolist() if not isinstance(value, list) else value


class TextTable(HostTable):
    """A batch of strings -> int64 token ids (int mode: (batch, length), padded with 0) or
    token counts per vocabulary index (other modes: (batch, depth))."""

    def __init__(self, layer):
        self.name = layer.name
        self.layer = layer
        self.vocab = layer._lookup_layer._lookup_table()

    def output_type(self, in_type):
        if in_type.dtype is not dtypes.string:
            raise InvalidArgumentError(f"{self.name}: TextVectorization expects string inputs, "
                                       f"got {in_type.dtype.name}")
        shape = in_type.shape
        rank = shape.rank
        if rank is not None and rank > 2 or (rank == 2 and shape[1] not in (1, None)):
            raise InvalidArgumentError(
                f"{self.name}: inputs must be a batch of strings (batch,) or (batch, 1); got "
                f"shape {shape}")
        layer = self.layer
        if layer.output_mode == "int":
            last = layer.output_sequence_length
        else:
            last = layer._depth()
        if rank == 0:
            return TensorType(dtypes.int64, [last])
        batch = None if rank is None else shape[0]
        return TensorType(dtypes.int64, [batch, last])

    def ids(self, array):
        """The token ids of each document of a 1-D array of strings (int mode, not cut)."""
        docs = self.layer._tokenize(array)
        return [self.vocab.find(np.array(tokens, dtype=object)) if tokens else
                np.zeros(0, np.int64) for tokens in docs]

    def find(self, array):
        array = np.asarray(array, dtype=object)
        scalar = array.ndim == 0
        layer = self.layer
        if layer.output_mode == "int":
            ids = self.ids(array.reshape(-1))
            length = layer.output_sequence_length
            if length is None:
                length = max((len(i) for i in ids), default=0)
            out = np.zeros((len(ids), length), np.int64)
            for r, row in enumerate(ids):
                row = row[:length]
                out[r, :len(row)] = row
        else:
            docs = layer._tokenize(array.reshape(-1))
            depth = layer._depth()
            out = np.zeros((len(docs), depth), np.int64)
            for r, tokens in enumerate(docs):
                if tokens:
                    ids = self.vocab.find(np.array(tokens, dtype=object))
                    np.add.at(out[r], ids, 1)
            if layer.output_mode == "multi_hot":
                out = np.minimum(out, 1)
        return out[0] if scalar else out


class TextVectorization(Layer):
    """Turns strings into sequences of token indices or into token vectors.

    Args: `max_tokens=None`, `standardize='lower_and_strip_punctuation'` ('lower',
    'strip_punctuation', None, or a callable on a string tensor), `split='whitespace'`
    ('character', None, or a callable), `ngrams=None` (an int n: all 1..n-grams; a tuple:
    those sizes), `output_mode='int'` ('multi_hot', 'count', 'tf_idf'),
    `output_sequence_length=None` (int mode: pad with 0 / cut to this length; else the
    batch's longest), `pad_to_max_tokens=False`, `vocabulary=None` (else `adapt(data)`),
    `idf_weights=None`, `sparse=False` (True, in multi_hot / count / tf_idf mode: a
    `tf.sparse.SparseTensor` with an entry per token present), `ragged=False` (True, in int
    mode: a `tf.RaggedTensor` of the ids, rows not padded, cut to `output_sequence_length` when
    set; a scalar string gives a dense vector as in Keras), `encoding='utf-8'`. Index 0 is the
    padding token '' and 1 the OOV token '[UNK]' (int mode). Runs on the host; sparse and
    ragged outputs are eager values (an eager call, or a tf.data map, which runs it eagerly).

    >>> layer = tf.keras.layers.TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog!"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
    >>> layer(["the CAT ran", "dog"]).numpy()
    array([[2, 5, 1, 0],
           [4, 0, 0, 0]])
    >>> ragged = tf.keras.layers.TextVectorization(ragged=True, vocabulary=["the", "cat"])
    >>> ragged(["the CAT ran", "cat"])
    <tf.RaggedTensor [[2, 3, 1], [3]]>
    """

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        check_output_mode(output_mode, ("int", "multi_hot", "count", "tf_idf"))
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"Invalid value for argument `standardize`: {standardize}. "
                             f"Expected one of {list(_STANDARDIZE)}, None, or a callable")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"Invalid value for argument `split`: {split}. Expected one of "
                             f"{list(_SPLIT)}, None, or a callable")
        if ngrams is not None and not (isinstance(ngrams, int) or (
                isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or (
                isinstance(output_sequence_length, int) and output_sequence_length > 0)):
            raise ValueError(f"`output_sequence_length` must be either None or an integer "
                             f"when `output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not "
                             f"'int'. Received output_sequence_length={output_sequence_length}.")
        if ragged and output_mode != "int":
            raise ValueError(f"`ragged` must not be true if `output_mode` is not `'int'`. "
                             f"Received: ragged={ragged} and output_mode={output_mode}")
        check_sparse_mode(sparse, output_mode, ("multi_hot", "count", "tf_idf"))
        if encoding not in ("utf-8", "UTF-8", "utf8"):
            raise ValueError(f"TextVectorization: only encoding='utf-8' is supported, got "
                             f"{encoding!r}")
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.ngrams = ngrams
        self._ngram_widths = (tuple(range(1, ngrams + 1)) if isinstance(ngrams, int)
                              else ngrams)
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.pad_to_max_tokens, self.sparse, self.ragged = pad_to_max_tokens, sparse, ragged
        self.encoding = encoding
        self._input_vocabulary, self._input_idf = vocabulary, idf_weights
        self._lookup_layer = StringLookup(max_tokens=max_tokens, mask_token="",
                                    vocabulary=vocabulary, idf_weights=idf_weights,
                                    output_mode=output_mode,
                                    pad_to_max_tokens=pad_to_max_tokens,
                                    name=f"{self.name}_string_lookup")
        self._table = None
        self.built = True

    # -- the text steps (host) -----------------------------------------------------------------
    def _standardize(self, texts):
        if self.standardize is None:
            return texts
        if callable(self.standardize):
            out = _to_text_list(self.standardize(string_tensor(np.asarray(texts, object))))
            return [t.encode("utf-8") if isinstance(t, str) else t for t in out]
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            texts = [t.lower() for t in texts]        # ASCII only, as tf.strings.lower
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = [_PUNCTUATION.sub(b"", t) for t in texts]
        return texts

    def _split(self, texts):
        if self.split is None:
            return [[t] for t in texts]
        if callable(self.split):
            out = _to_text_list(self.split(string_tensor(np.asarray(texts, object))))
            return [[w.encode("utf-8") if isinstance(w, str) else w for w in row] for row in out]
        if self.split == "whitespace":
            return [t.split() for t in texts]
        return [[c.encode("utf-8") for c in t.decode("utf-8")] for t in texts]

    def _ngrams(self, tokens):
        if self._ngram_widths is None:
            return tokens
        out = []
        for width in self._ngram_widths:
            out.extend(b" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
        return out

    def _tokenize(self, texts):
        """A 1-D array of strings -> a list of token lists (bytes)."""
        texts = [t.encode("utf-8") if isinstance(t, str) else bytes(t) for t in texts]
        return [self._ngrams(tokens) for tokens in self._split(self._standardize(texts))]

    # -- vocabulary ----------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from strings: an array, list, tensor or
        Dataset."""
        def documents():
            for batch in adapt_batches(data, batch_size, steps):
                batch = np.asarray(batch, dtype=object).reshape(-1)
                yield from self._tokenize(batch)
        self._lookup_layer._learn(documents())
        self._table = None

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary by index ('' and '[UNK]' first in int mode)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The number of indices, the padding and OOV tokens included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and idf weights in tf_idf mode) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)
        self._table = None

    def save_assets(self, dir_path):
        """The learned vocabulary as Keras 3 saves it (`vocabulary.txt`)."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        """Read the vocabulary `save_assets` wrote."""
        self._lookup_layer.load_assets(dir_path)
        self._table = None

    @property
    def idf_weights(self):
        return self._lookup_layer.idf_weights

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # -- call ----------------------------------------------------------------------------------
    def call(self, inputs):
        x = to_tensor(inputs)
        if self._table is None:
            self._table = TextTable(self)
        if self.ragged:
            return self._ragged_ids(x)
        out = find(self._table, x)
        counts = out
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be "
                                 "provided (or call `adapt`).")
            out = M.multiply(M.cast(out, backend.floatx()), self.idf_weights)
        if self.sparse:
            require_eager(x, self.name)
            present = np.asarray(counts.numpy()) != 0
            values = np.asarray(out.numpy())[present]
            return SparseTensor(np.argwhere(present).astype(np.int64), values,
                                np.asarray(present.shape, np.int64))
        return out

    def _ragged_ids(self, x):
        """ragged=True: the uncut, unpadded id rows as a RaggedTensor (int64 row splits)."""
        require_eager(x, self.name)
        self._table.output_type(x.type)          # the dtype and rank checks
        array = np.asarray(x.numpy(), dtype=object)
        length = self.output_sequence_length
        rows = [r[:length] if length is not None else r
                for r in self._table.ids(array.reshape(-1))]
        if array.ndim == 0:
            return to_tensor(np.asarray(rows[0], np.int64))
        splits = np.zeros(len(rows) + 1, np.int64)
        splits[1:] = np.cumsum([len(r) for r in rows])
        values = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
        return RaggedTensor.from_row_splits(to_tensor(values), to_tensor(splits))

    def compute_output_shape(self, input_shape):
        last = self.output_sequence_length if self.output_mode == "int" else self._depth()
        return (tuple(input_shape)[0], last) if len(input_shape) else (last,)

    def get_config(self):
        config = super().get_config()
        for name, value in (("standardize", self.standardize), ("split", self.split)):
            if callable(value):
                raise ValueError(f"TextVectorization {self.name}: a callable `{name}` cannot "
                                 f"be saved in a config; register it and pass it by name")
        vocabulary = self._input_vocabulary
        if vocabulary is not None and not isinstance(vocabulary, str):
            vocabulary = self._lookup_layer.get_config()["vocabulary"]
        idf = self._input_idf
        config.update(
            max_tokens=self.max_tokens, standardize=self.standardize, split=self.split,
            ngrams=self.ngrams, output_mode=self.output_mode,
            output_sequence_length=self.output_sequence_length,
            pad_to_max_tokens=self.pad_to_max_tokens, sparse=self.sparse, ragged=self.ragged,
            vocabulary=vocabulary,
            idf_weights=None if idf is None else np.asarray(idf).tolist(),
            encoding=self.encoding, vocabulary_size=self.vocabulary_size())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("vocabulary_size", None)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)
