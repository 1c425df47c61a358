"""`tf.data.Dataset`: the public methods, each returning a new dataset (transforms.py,
sources.py, windowing.py hold the datasets themselves).

A dataset is a recipe: iterating it (`for x in ds`, `iter(ds)`) runs the pipeline afresh. Each
dataset class provides `element_spec`, `_iter_flat()` (flat tuples of NumPy arrays, see
structure.py), `_cardinality()`, and optionally `_iter_batches(n, drop)` when it can produce
whole batches faster than stacking rows (slices of `from_tensor_slices`, fused maps).
"""
import numpy as np

from .. import nest
from ..errors import InvalidArgumentError
from ..tensor import EagerTensor
from . import structure
from .options import Options

INFINITE = -1
UNKNOWN = -2
AUTOTUNE = -1


class Dataset:
    """TF's `tf.data.Dataset`: a sequence of elements (nested structures of tensors).

    >>> ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).map(lambda x, y: x + y)
    >>> [int(v) for v in ds]
    [5, 7, 9]
    """

    _options = None

    # -- subclasses implement --------------------------------------------------------------------
    @property
    def element_spec(self):
        return self._spec

    def _iter_flat(self):
        raise NotImplementedError  # abstract: every concrete dataset defines it

    def _cardinality(self):
        return UNKNOWN

    def _iter_batches(self, n, drop_remainder):
        """Flat tuples of stacked components, `n` elements each."""
        from .batching import stack_rows
        rows = []
        for flat in self._iter_flat():
            rows.append(flat)
            if len(rows) == n:
                yield stack_rows(rows)
                rows = []
        if rows and not drop_remainder:
            yield stack_rows(rows)

    def _inputs(self):
        return []

    # -- iteration ---------------------------------------------------------------------------------
    def __iter__(self):
        from .iterator import OwnedIterator
        return OwnedIterator(self)

    def as_numpy_iterator(self):
        """An iterator over the elements as NumPy values (bytes for scalar strings)."""
        spec = self.element_spec
        return (structure.to_numpy(spec, flat) for flat in self._iter_flat())

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def cardinality(self):
        """The number of elements as an int64 scalar tensor, or tf.data.INFINITE_CARDINALITY
        (-1) / tf.data.UNKNOWN_CARDINALITY (-2)."""
        return EagerTensor(np.int64(self._cardinality()))

    _tf_name = None  # TF's class name in repr, when it is not "_" + ours

    def __repr__(self):
        name = self._tf_name or "_" + type(self).__name__
        return f"<{name} element_spec={self.element_spec}>"

    # -- sources -----------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """The slices of `tensors` along their first dimension (all components alike)."""
        from .sources import TensorSliceDataset
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element, `tensors`."""
        from .sources import TensorDataset
        return TensorDataset(tensors)

    @staticmethod
    def range(*args, output_type="int64", name=None):
        """Like Python's range: `range(stop)`, `range(start, stop[, step])`, int64 elements."""
        from .sources import RangeDataset
        return RangeDataset(*args, output_type=output_type)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements produced by calling `generator(*args)`; each checked against the spec."""
        from .sources import GeneratorDataset
        return GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def zip(*datasets, name=None, **kwargs):
        """Tuples (or the given nesting) of elements of several datasets, stopping at the
        shortest: `zip(a, b)`, `zip((a, b))`, `zip(datasets={"x": a, "y": b})`."""
        from .sources import ZipDataset
        if "datasets" in kwargs:
            if datasets:
                raise TypeError("Dataset.zip: pass the datasets positionally or as "
                                "`datasets=`, not both")
            datasets = (kwargs.pop("datasets"),)
        if kwargs:
            raise TypeError(f"Dataset.zip got unexpected arguments {sorted(kwargs)}")
        if len(datasets) == 1:
            datasets = datasets[0]
        return ZipDataset(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The file names matching a glob pattern (or list of patterns), shuffled by default."""
        from .readers import list_files
        return list_files(file_pattern, shuffle, seed)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None,
                             stop_on_empty_dataset=False):
        from .sources import SampleDataset
        return SampleDataset(datasets, weights, seed, stop_on_empty_dataset)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        from .sources import ChooseDataset
        return ChooseDataset(datasets, choice_dataset, stop_on_empty_dataset)

    # -- transformations -----------------------------------------------------------------------------
    def concatenate(self, dataset, name=None):
        """This dataset's elements followed by `dataset`'s."""
        from .sources import ConcatenateDataset
        return ConcatenateDataset(self, dataset)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """`map_func` applied to every element (tuple elements are passed as separate
        arguments); traced once with tf.function and run compiled."""
        from .transforms import MapDataset
        return MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate, name=None):
        """The elements for which `predicate` returns a true scalar bool."""
        from .transforms import FilterDataset
        return FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        """`map_func` returns a dataset per element; their elements, in order."""
        from .interleave import FlatMapDataset
        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """Round-robin over `cycle_length` datasets made by `map_func`, `block_length` at a
        time."""
        from .interleave import InterleaveDataset
        return InterleaveDataset(self, map_func, cycle_length, block_length,
                                 num_parallel_calls)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Each element is drawn at random from a buffer of the next `buffer_size` elements."""
        from .transforms import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Consecutive elements stacked into batches of `batch_size` (a short last batch unless
        `drop_remainder`)."""
        from .batching import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batches whose components are padded to a common shape."""
        from .batching import PaddedBatchDataset
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                  drop_remainder)

    def unbatch(self, name=None):
        """Splits every element along its first dimension."""
        from .batching import UnbatchDataset
        return UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Re-splits batched elements into batches of `batch_size` (or of the sizes in a list,
        in turn)."""
        if isinstance(batch_size, (list, tuple)) or getattr(batch_size, "ndim", 0) == 1:
            from .batching import RebatchDataset
            return RebatchDataset(self, [int(b) for b in np.asarray(batch_size).reshape(-1)],
                                  drop_remainder)
        return self.unbatch().batch(batch_size, drop_remainder=drop_remainder)

    def repeat(self, count=None, name=None):
        """The dataset `count` times (forever when None or -1)."""
        from .transforms import RepeatDataset
        return RepeatDataset(self, count)

    def take(self, count, name=None):
        """The first `count` elements (all when -1)."""
        from .transforms import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count, name=None):
        """All but the first `count` elements (none when -1)."""
        from .transforms import SkipDataset
        return SkipDataset(self, count)

    def shard(self, num_shards, index, name=None):
        """Every `num_shards`-th element starting at `index`."""
        from .transforms import ShardDataset
        return ShardDataset(self, num_shards, index)

    def take_while(self, predicate, name=None):
        """Elements while `predicate` holds; stops at the first false."""
        from .transforms import TakeWhileDataset
        return TakeWhileDataset(self, predicate)

    def enumerate(self, start=0, name=None):
        """(index, element) pairs, the index int64."""
        from .sources import RangeDataset, ZipDataset
        return ZipDataset((RangeDataset(start, np.iinfo(np.int64).max), self))

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """A dataset of windows, each a (nested) dataset of `size` consecutive elements."""
        from .windowing import WindowDataset
        return WindowDataset(self, size, shift, stride, drop_remainder)

    def cache(self, filename="", name=None):
        """The elements kept after the first full pass (in memory, or in `filename`)."""
        from .transforms import CacheDataset
        return CacheDataset(self, filename)

    def prefetch(self, buffer_size, name=None):
        """Elements produced ahead by a background thread (`tf.data.AUTOTUNE` sizes it)."""
        from .transforms import PrefetchDataset
        return PrefetchDataset(self, buffer_size)

    def unique(self, name=None):
        """The elements not seen before (scalar int or string elements)."""
        from .transforms import UniqueDataset
        return UniqueDataset(self)

    def scan(self, initial_state, scan_func, name=None):
        """`scan_func(state, element) -> (new_state, output)` over the elements."""
        from .transforms import ScanDataset
        return ScanDataset(self, initial_state, scan_func)

    def group_by_window(self, key_func, reduce_func, window_size=None,
                        window_size_func=None, name=None):
        """Groups elements by `key_func` into windows reduced by `reduce_func(key, window)`."""
        from .windowing import GroupByWindowDataset
        return GroupByWindowDataset(self, key_func, reduce_func, window_size, window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):
        """Batches of elements of similar length (padded within a bucket)."""
        from .windowing import bucket_by_sequence_length
        return bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                         bucket_batch_sizes, padded_shapes, padding_values,
                                         pad_to_bucket_boundary, no_padding, drop_remainder)

    def reduce(self, initial_state, reduce_func, name=None):
        """`reduce_func(state, element)` folded over the elements; returns the final state."""
        from .transforms import reduce_dataset
        return reduce_dataset(self, initial_state, reduce_func)

    def apply(self, transformation_func):
        """`transformation_func(self)`, which must return a dataset."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError("`transformation_func` must return a tf.data.Dataset, got "
                            f"{type(out).__name__}")
        return out

    def options(self):
        """The tf.data.Options in effect for this dataset."""
        for ds in self._chain():
            if ds._options is not None:
                return ds._options
        return Options()

    def with_options(self, options, name=None):
        """This dataset with `options` (merged with any set earlier)."""
        from .transforms import IdentityDataset
        out = IdentityDataset(self)
        out._options = self.options().merge(options)
        if out._options.experimental_optimization.map_and_batch_fusion is False:
            from .batching import BatchDataset
            for ds in out._chain():  # options apply to the whole pipeline, as in TF
                if isinstance(ds, BatchDataset):
                    ds._fusion = False
        return out

    def get_single_element(self, name=None):
        """The only element; InvalidArgumentError if there are none or several."""
        it = self._iter_flat()
        try:
            first = next(it)
        except StopIteration:
            raise InvalidArgumentError("Dataset was empty.") from None
        for _ in it:
            raise InvalidArgumentError("Dataset had more than one element.")
        return structure.to_user(self.element_spec, first)

    def _chain(self):
        seen = [self]
        while seen:
            ds = seen.pop(0)
            yield ds
            seen.extend(ds._inputs())

    @property
    def output_shapes(self):
        return nest.map_structure(lambda s: s.shape, self.element_spec)

    @property
    def output_types(self):
        return nest.map_structure(lambda s: s.dtype, self.element_spec)
