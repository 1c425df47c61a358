"""Element-wise and ordering transformations: map, filter, shuffle, repeat, take, skip, shard,
take_while, cache, prefetch, unique, scan, reduce."""
import os
import pickle
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
import warnings

import numpy as np

from .. import dtypes, nest
from ..ops.opdef import InvalidArgumentError
from ..ops.random_ops import get_seed
from ..tracing.signature import TensorSpec
from . import structure
from .dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from .mapfn import DatasetFunction


class _Unary(Dataset):
    def __init__(self, input_dataset):
        if not isinstance(input_dataset, Dataset):
            raise TypeError(f"expected a tf.data.Dataset, got {type(input_dataset).__name__}")
        self._input = input_dataset
        self._spec = input_dataset.element_spec

    def _inputs(self):
        return [self._input]

    def _cardinality(self):
        return self._input._cardinality()


# ignore_errors() (experimental.py) iterates its input with this set: then map and filter drop
# an element whose function raised InvalidArgumentError and go on with the next one (a
# generator that raised cannot resume, so they must catch it themselves).
_SKIP_ERRORS = threading.local()


def skipping_errors():
    return getattr(_SKIP_ERRORS, "depth", 0) > 0


class _Dropped:
    """What a function call that raised gives while errors are skipped."""


_DROPPED = _Dropped()


def _skipping(fn):
    log = getattr(_SKIP_ERRORS, "log_warning", False)

    def call(flat):
        try:
            return fn(flat)
        except InvalidArgumentError as e:
            if log:
                warnings.warn(f"ignore_errors: dropped an element: {e}", RuntimeWarning,
                              stacklevel=2)
            return _DROPPED
    return call


class IdentityDataset(_Unary):
    """The input unchanged (carries options)."""

    _tf_name = "_OptionsDataset"

    def _iter_flat(self):
        return self._input._iter_flat()

    def _iter_batches(self, n, drop_remainder):
        return self._input._iter_batches(n, drop_remainder)


def _parallelism(num_parallel_calls):
    if num_parallel_calls is None:
        return 1
    n = int(num_parallel_calls)
    if n == AUTOTUNE:
        return max(1, min(8, os.cpu_count() or 1))
    if n < 1:
        raise ValueError(f"num_parallel_calls must be positive or tf.data.AUTOTUNE, got {n}")
    return n


class MapDataset(_Unary):
    """`ds.map(f)`: `f` traced once and run compiled per element (or per batch when fused
    with a following `batch`, see mapfn.py)."""

    def __init__(self, input_dataset, map_func, num_parallel_calls, deterministic):
        super().__init__(input_dataset)
        self._fn = DatasetFunction(map_func, input_dataset.element_spec, "map")
        self._parallel = _parallelism(num_parallel_calls)
        self._deterministic = deterministic
        if num_parallel_calls is not None:
            self._tf_name = "_ParallelMapDataset"
        if self._fn.eager:
            self._spec = None
        else:
            self._spec = self._fn.output_spec

    @property
    def element_spec(self):
        if self._spec is None:  # eager function: the spec of its first result
            for _ in self._iter_flat():
                break
            self._spec = self._fn.output_spec
            if self._spec is None:
                raise ValueError("map: the input dataset is empty, so the output spec of a "
                                 "function over tf.string elements is unknown.")
        return self._spec

    def _iter_flat(self):
        fn = self._fn
        if skipping_errors():
            fn = _skipping(fn)
        if self._parallel == 1:
            for flat in self._input._iter_flat():
                out = fn(flat)
                if out is not _DROPPED:
                    yield out
            return
        for out in _ordered_parallel(fn, self._input._iter_flat(), self._parallel):
            if out is not _DROPPED:
                yield out

    def _iter_batches(self, n, drop_remainder):
        if not self._fn.is_rowwise():
            yield from super()._iter_batches(n, drop_remainder)
            return
        call = self._fn.call_batched
        for flat in self._input._iter_batches(n, drop_remainder):
            yield call(flat)


def _ordered_parallel(fn, source, workers):
    """fn over `source` on `workers` threads, results in input order. The first element runs
    here, so a function compiles once before threads call it."""
    source = iter(source)
    for flat in source:
        yield fn(flat)
        break
    window = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for flat in source:
            window.append(pool.submit(fn, flat))
            if len(window) >= 2 * workers:
                yield window.pop(0).result()
        for f in window:
            yield f.result()


class FilterDataset(_Unary):
    """`ds.filter(predicate)`: keeps elements whose predicate is true."""

    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = DatasetFunction(predicate, self._spec, "filter")
        if not self._fn.eager:
            _check_bool_scalar(self._fn.output_spec, "filter")

    def _iter_flat(self):
        fn = self._fn
        call = _skipping(fn) if skipping_errors() else fn
        for flat in self._input._iter_flat():
            out = call(flat)
            if out is _DROPPED:
                continue
            if not fn.eager or len(out) == 1:
                if bool(out[0]):
                    yield flat
            else:
                _check_bool_scalar(fn.output_spec, "filter")

    def _cardinality(self):
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


def _check_bool_scalar(spec, what):
    if not isinstance(spec, TensorSpec) or spec.dtype is not dtypes.bool or spec.shape.rank != 0:
        raise ValueError(f"Invalid `predicate`. `predicate` of `{what}` must return a `tf.bool` "
                         f"scalar tensor, but its return type is {spec}.")


def make_rng(seed, epoch):
    """A NumPy Generator for (seed, epoch)."""
    return np.random.Generator(np.random.PCG64([int(seed) & (2**63 - 1), int(epoch)]))


def base_seed(seed):
    """The seed a random transformation uses, from (global seed, op seed) as TF's random ops
    derive theirs: deterministic when `seed` or tf.random.set_seed is given, else random."""
    g, op = get_seed(seed)
    return (int(g) << 32) | int(op)


class ShuffleDataset(_Unary):
    """`ds.shuffle(buffer_size)`: fills a buffer with the first `buffer_size` elements, then
    repeatedly yields a random buffer slot and refills it with the next input element."""

    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(input_dataset)
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = 1024
        if buffer_size < 1:
            raise InvalidArgumentError(f"shuffle: buffer_size must be positive, got "
                                       f"{buffer_size}")
        self._size = buffer_size
        self._seed = base_seed(seed)
        self._reshuffle = True if reshuffle_each_iteration is None else \
            bool(reshuffle_each_iteration)
        self._epoch = 0

    def _iter_flat(self):
        epoch = self._epoch
        if self._reshuffle:
            self._epoch += 1
        rng = make_rng(self._seed, epoch if self._reshuffle else 0)
        it = self._input._iter_flat()
        buf = None
        for flat in it:
            if buf is None:
                buf = _ShuffleBuffer(self._size, self._spec, flat, self._input._cardinality())
            buf.append(flat)
            if len(buf) == self._size:
                break
        if buf is None:
            return
        randint = rng.integers
        for flat in it:
            yield buf.replace(int(randint(len(buf))), flat)
        while len(buf):
            yield buf.pop(int(randint(len(buf))))


class _ShuffleBuffer:
    """The shuffle buffer. Elements that own their memory (a generator's, a map's) are copied
    into one preallocated array per component, so the buffer costs its bytes and no
    per-element objects; views (slices of from_tensor_slices) are kept as they are, since
    their data lives in the source anyway. Both give the same order for the same draws."""

    def __init__(self, size, spec, first, cardinality):
        specs = nest.flatten(spec)
        self._packed = all(s.shape.is_fully_defined() for s in specs) and all(
            a.base is None and a.dtype != object for a in first)
        if self._packed:
            cap = size if cardinality < 0 else max(1, min(size, cardinality))
            self._arrays = [np.empty((cap,) + a.shape, a.dtype) for a in first]
            self._n = 0
        else:
            self._list = []

    def __len__(self):
        return self._n if self._packed else len(self._list)

    def append(self, flat):
        if not self._packed:
            self._list.append(flat)
            return
        for a, v in zip(self._arrays, flat):
            a[self._n] = v
        self._n += 1

    def replace(self, k, flat):
        """The element in slot k; `flat` takes its place."""
        if not self._packed:
            out, self._list[k] = self._list[k], flat
            return out
        out = tuple(a[k].copy() for a in self._arrays)
        for a, v in zip(self._arrays, flat):
            a[k] = v
        return out

    def pop(self, k):
        """The element in slot k; the last element moves into its place."""
        if not self._packed:
            buf = self._list
            buf[k], buf[-1] = buf[-1], buf[k]
            return buf.pop()
        out = tuple(a[k].copy() for a in self._arrays)
        self._n -= 1
        if k != self._n:
            for a in self._arrays:
                a[k] = a[self._n]
        return out


class RepeatDataset(_Unary):
    """`ds.repeat(count)`: the input `count` times (forever for None / -1)."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = -1 if count is None else int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return 0 if n == 0 else INFINITE  # (TF: also for an unknown input)
        if self._count == 0 or n < 0:
            return 0 if self._count == 0 else n
        return n * self._count

    def _iter_flat(self):
        k = 0
        while self._count == -1 or k < self._count:
            produced = False
            for flat in self._input._iter_flat():
                produced = True
                yield flat
            if not produced:
                return
            k += 1


class TakeDataset(_Unary):
    """`ds.take(count)`: the first `count` elements."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == UNKNOWN:
            return UNKNOWN
        return self._count if n == INFINITE else min(n, self._count)

    def _iter_flat(self):
        if self._count < 0:
            yield from self._input._iter_flat()
            return
        if self._count == 0:
            return
        for i, flat in enumerate(self._input._iter_flat()):
            yield flat
            if i + 1 >= self._count:
                return


class SkipDataset(_Unary):
    """`ds.skip(count)`: all but the first `count` elements."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = int(count)

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)

    def _iter_flat(self):
        if self._count < 0:
            for _ in self._input._iter_flat():
                pass
            return
        for i, flat in enumerate(self._input._iter_flat()):
            if i >= self._count:
                yield flat


class ShardDataset(_Unary):
    """`ds.shard(num_shards, index)`: elements index, index + num_shards, ..."""

    def __init__(self, input_dataset, num_shards, index):
        super().__init__(input_dataset)
        self._n, self._i = int(num_shards), int(index)
        if self._n < 1:
            raise InvalidArgumentError(f"shard: num_shards must be >= 1, got {self._n}")
        if not 0 <= self._i < self._n:
            raise InvalidArgumentError(f"shard: index must be in [0, {self._n}), got "
                                       f"{self._i}")

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._n + (1 if n % self._n > self._i else 0)

    def _iter_flat(self):
        for i, flat in enumerate(self._input._iter_flat()):
            if i % self._n == self._i:
                yield flat


class TakeWhileDataset(_Unary):
    """`ds.take_while(predicate)`: elements until the predicate first fails."""

    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = DatasetFunction(predicate, self._spec, "take_while")
        if not self._fn.eager:
            _check_bool_scalar(self._fn.output_spec, "take_while")

    def _cardinality(self):
        return UNKNOWN

    def _iter_flat(self):
        for flat in self._input._iter_flat():
            if not bool(self._fn(flat)[0]):
                return
            yield flat


class CacheDataset(_Unary):
    """`ds.cache(filename)`: the first complete pass is recorded (in memory for "", else in
    `filename`.data-00000-of-00001) and later passes replay it."""

    def __init__(self, input_dataset, filename):
        super().__init__(input_dataset)
        self._filename = os.fspath(filename)
        self._memory = None
        self._lock = threading.Lock()

    def _path(self):
        return self._filename + ".data-00000-of-00001"

    def _iter_flat(self):
        if self._filename == "":
            if self._memory is not None:
                yield from self._memory
                return
        elif os.path.exists(self._path()):
            with open(self._path(), "rb") as fh:
                data = pickle.load(fh)
            if data.get("spec") != repr(self._spec):
                raise InvalidArgumentError(f"cache file {self._path()} holds elements of "
                                           f"{data.get('spec')}, not {self._spec}; delete it")
            yield from data["elements"]
            return
        recorded = []
        for flat in self._input._iter_flat():
            recorded.append(flat)
            yield flat
        if self._filename == "":
            self._memory = recorded
        else:
            tmp = self._path() + ".tmp"
            with open(tmp, "wb") as fh:
                pickle.dump({"spec": repr(self._spec), "elements": recorded}, fh, protocol=5)
            os.replace(tmp, self._path())


class PrefetchDataset(_Unary):
    """`ds.prefetch(n)`: a background thread keeps up to `n` elements ready."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        n = int(buffer_size)
        self._size = 2 if n == AUTOTUNE else n
        if self._size < 0:
            raise InvalidArgumentError(f"prefetch: buffer_size must be >= 0 or AUTOTUNE, got {n}")

    def _iter_flat(self):
        if self._size == 0:
            yield from self._input._iter_flat()
            return
        yield from background(self._input._iter_flat(), self._size)

    def _iter_batches(self, n, drop_remainder):
        yield from background(self._input._iter_batches(n, drop_remainder), max(self._size, 1))


_END = object()


def background(source, size):
    """Iterate `source` on a daemon thread, `size` items ahead; errors re-raise here. The
    thread stops when the consumer is closed or garbage collected."""
    q = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce():
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((_END, None))
        except BaseException as e:  # re-raised in the consumer
            q.put((_END, e))
    thread = threading.Thread(target=produce, daemon=True, name="tf.data prefetch")
    thread.start()
    try:
        while True:
            item, err = q.get()
            if item is _END:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()


class UniqueDataset(_Unary):
    """`ds.unique()`: first occurrences of scalar int or string elements."""

    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        spec = self._spec
        if not isinstance(spec, TensorSpec) or spec.dtype not in (
                dtypes.int32, dtypes.int64, dtypes.string):
            raise TypeError(f"Dataset.unique() supports scalar int32, int64 or string "
                            f"elements, got {spec}")

    def _cardinality(self):
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN

    def _iter_flat(self):
        seen = set()
        for flat in self._input._iter_flat():
            key = flat[0].item() if flat[0].dtype != object else flat[0][()]
            if key not in seen:
                seen.add(key)
                yield flat


def _state_fn(func, state_spec, element_spec, what):
    return DatasetFunction(func, (state_spec, element_spec), what)


class ScanDataset(_Unary):
    """`ds.scan(initial_state, scan_func)`: `scan_func(state, x) -> (new_state, y)`."""

    def __init__(self, input_dataset, initial_state, scan_func):
        super().__init__(input_dataset)
        self._state_spec, self._state = structure.normalize(initial_state)
        self._func = scan_func
        self._fn = _state_fn(scan_func, self._state_spec, input_dataset.element_spec, "scan")
        out = self._fn.output_spec
        if self._fn.eager:
            self._spec = None
            return
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError("scan_func must return a pair (new_state, output_element), got "
                            f"{out}")
        new_state = out[0]
        nest.assert_same_structure(self._state_spec, new_state)
        if new_state != self._state_spec:  # shapes relax, as TF does on a changing state
            self._state_spec = structure.most_specific(self._state_spec, new_state)
            self._fn = _state_fn(scan_func, self._state_spec, input_dataset.element_spec,
                                 "scan")
        self._spec = self._fn.output_spec[1]

    @property
    def element_spec(self):
        if self._spec is None:
            for _ in self._iter_flat():
                break
            self._spec = self._fn.output_spec[1]
        return self._spec

    def _iter_flat(self):
        ns = len(nest.flatten(self._state_spec))
        state = self._state
        for flat in self._input._iter_flat():
            out = self._fn(tuple(state) + tuple(flat))
            state, y = out[:ns], out[ns:]
            yield y


def reduce_dataset(ds, initial_state, reduce_func):
    """`ds.reduce(initial_state, reduce_func)`: the final state as tensors."""
    state_spec, state = structure.normalize(initial_state)
    fn = _state_fn(reduce_func, state_spec, ds.element_spec, "reduce")
    if not fn.eager and fn.output_spec != state_spec:
        nest.assert_same_structure(state_spec, fn.output_spec)
        for a, b in zip(nest.flatten(state_spec), nest.flatten(fn.output_spec)):
            if a.dtype != b.dtype:
                raise TypeError(f"reduce: the state changes dtype from {a.dtype.name} to "
                                f"{b.dtype.name}; give the initial state the dtype "
                                "reduce_func returns.")
        state_spec = structure.most_specific(state_spec, fn.output_spec)
        fn = _state_fn(reduce_func, state_spec, ds.element_spec, "reduce")
    for flat in ds._iter_flat():
        state = fn(tuple(state) + tuple(flat))
    return structure.to_user(state_spec, state)
