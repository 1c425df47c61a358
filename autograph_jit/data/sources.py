"""Datasets that produce elements: from_tensor_slices, from_tensors, range, from_generator,
zip, concatenate, sample_from_datasets / choose_from_datasets."""
import numpy as np

from .. import dtypes, nest
from ..ops.opdef import InvalidArgumentError
from ..tensor_shape import TensorShape
from ..tracing.signature import TensorSpec
from . import structure
from .dataset import INFINITE, UNKNOWN, Dataset
from .transforms import base_seed, make_rng


class TensorSliceDataset(Dataset):
    """`Dataset.from_tensor_slices`: row i of every component is element i."""

    def __init__(self, tensors):
        spec, flat = structure.normalize(tensors)
        specs = nest.flatten(spec)
        if not specs:
            raise ValueError("from_tensor_slices: the structure has no components.")
        n = None
        for s, a in zip(specs, flat):
            if a.ndim == 0:
                raise ValueError(f"from_tensor_slices: every component must have rank >= 1 "
                                 f"(they are sliced along their first dimension); got {s}")
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise ValueError(f"from_tensor_slices: all components must have the same size "
                                 f"in their first dimension: Dimensions {n} and {a.shape[0]} "
                                 "are not compatible")
        self._flat = flat
        self._n = n
        self._spec = nest.pack_sequence_as(spec, [structure.unbatched_spec(s) for s in specs])

    def _cardinality(self):
        return self._n

    def _iter_flat(self):
        flat = self._flat
        if len(flat) == 1:
            a = flat[0]
            for i in range(self._n):
                yield (a[i, ...],)
            return
        for i in range(self._n):
            yield tuple(a[i, ...] for a in flat)

    def _iter_batches(self, n, drop_remainder):
        stop = self._n - self._n % n if drop_remainder else self._n
        for i in range(0, stop, n):
            yield tuple(a[i:i + n] for a in self._flat)


class TensorDataset(Dataset):
    """`Dataset.from_tensors`: one element."""

    def __init__(self, tensors):
        self._spec, self._flat = structure.normalize(tensors)

    def _cardinality(self):
        return 1

    def _iter_flat(self):
        yield self._flat


class RangeDataset(Dataset):
    """`Dataset.range`: int64 (or `output_type`) scalars, as Python's range."""

    def __init__(self, *args, output_type="int64"):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range takes 1 to 3 arguments, got {len(args)}")
        args = [int(a) for a in args]
        self._range = range(*args)
        self._dtype = dtypes.as_dtype(output_type)
        self._spec = TensorSpec([], self._dtype)

    def _cardinality(self):
        return len(self._range)

    def _iter_flat(self):
        np_t = self._dtype.np_dtype.type
        for v in self._range:
            yield (np.asarray(np_t(v)),)

    def _iter_batches(self, n, drop_remainder):
        r = self._range
        count = len(r)
        stop = count - count % n if drop_remainder else count
        for i in range(0, stop, n):
            sub = r[i:i + n]
            yield (np.arange(sub.start, sub.stop, sub.step, dtype=self._dtype.np_dtype),)


def _legacy_signature(output_types, output_shapes):
    if output_shapes is None:
        output_shapes = nest.map_structure(lambda _: None, output_types)
    if not nest.is_nested(output_types):
        return TensorSpec(output_shapes, output_types)
    types = nest.flatten(output_types)
    shapes = _flatten_up_to(output_types, output_shapes)
    return nest.pack_sequence_as(output_types, [TensorSpec(TensorShape(s), t)
                                                for t, s in zip(types, shapes)])


def _flatten_up_to(template, value):
    """Flatten `value` following `template`'s nesting (shapes are lists, so stop at its
    leaves)."""
    if not nest.is_nested(template):
        return [value]
    if isinstance(template, dict):
        return [x for k in sorted(template) for x in _flatten_up_to(template[k], value[k])]
    return [x for t, v in zip(template, value) for x in _flatten_up_to(t, v)]


class GeneratorDataset(Dataset):
    """`Dataset.from_generator`: calls `generator(*args)` on every iteration; each yielded
    value must match the signature (Python values are converted to its dtypes)."""

    _tf_name = "_FlatMapDataset"

    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None or output_shapes is not None:
                raise TypeError("from_generator: pass either output_signature or "
                                "output_types/output_shapes, not both.")
            for s in nest.flatten(output_signature):
                if not isinstance(s, TensorSpec):
                    raise TypeError(f"from_generator: output_signature must hold tf.TensorSpec "
                                    f"objects, got {s!r}")
            spec = output_signature
        else:
            if output_types is None:
                raise TypeError("from_generator: output_signature (or the legacy output_types) "
                                "is required.")
            spec = _legacy_signature(output_types, output_shapes)
        self._spec = spec
        self._generator = generator
        self._args = tuple(_numpy_arg(a) for a in (args or ()))

    def _iter_flat(self):
        specs = nest.flatten(self._spec)
        for index, value in enumerate(self._generator(*self._args)):
            try:
                leaves = _flatten_like(self._spec, value)
            except (TypeError, ValueError) as e:
                raise TypeError(f"`generator` yielded element {index} ({value!r}), which does "
                                f"not match the structure of the expected {self._spec}: {e}") \
                    from None
            out = []
            for s, v in zip(specs, leaves):
                out.append(_convert_checked(v, s, index))
            yield tuple(out)


def _numpy_arg(a):
    """A generator argument as TF passes it: a NumPy value (bytes for a string scalar)."""
    arr, _ = structure.as_array(a)
    return arr[()] if arr.ndim == 0 else arr


def _flatten_like(spec, value):
    if not nest.is_nested(spec):
        return [value]
    if isinstance(spec, dict):
        if not isinstance(value, dict) or set(value) != set(spec):
            raise ValueError("the dict keys differ")
        return [x for k in sorted(spec) for x in _flatten_like(spec[k], value[k])]
    if not isinstance(value, (tuple, list)) or len(value) != len(spec):
        raise ValueError(f"expected a sequence of {len(spec)} items")
    return [x for s, v in zip(spec, value) for x in _flatten_like(s, v)]


def _convert_checked(value, spec, index):
    dt = spec.dtype
    if dt is dtypes.string:
        arr, _ = structure.as_array(value, dtypes.string)
    else:
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype != \
                dt.np_dtype:
            raise TypeError(f"`generator` yielded an element of type {np.asarray(value).dtype} "
                            f"where an element of type {dt.name} was expected (element "
                            f"{index}, spec {spec})")
        try:
            arr = np.asarray(value, dtype=dt.np_dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"`generator` yielded {value!r} (element {index}), which cannot be "
                            f"converted to the expected {spec}: {e}") from None
        if not isinstance(value, (np.ndarray, np.generic)) and arr.dtype.kind in "iu" and \
                np.asarray(value).dtype.kind == "f":
            raise TypeError(f"`generator` yielded a float {value!r} (element {index}) where an "
                            f"element of type {dt.name} was expected (spec {spec})")
    if not spec.shape.is_compatible_with(TensorShape(arr.shape)):
        raise InvalidArgumentError(f"`generator` yielded an element of shape {arr.shape} where "
                                   f"an element of shape {spec.shape} was expected (element "
                                   f"{index}, spec {spec})")
    return arr


class ZipDataset(Dataset):
    """`Dataset.zip`: the elements of several datasets side by side."""

    def __init__(self, datasets):
        leaves = nest.flatten(datasets)
        for d in leaves:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip expects (nested) datasets, got {type(d).__name__}")
        self._datasets = leaves
        self._spec = nest.pack_sequence_as(datasets, [d.element_spec for d in leaves])

    def _inputs(self):
        return list(self._datasets)

    def _cardinality(self):
        cards = [d._cardinality() for d in self._datasets]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite) if UNKNOWN not in cards or min(finite) == 0 else UNKNOWN
        return UNKNOWN if UNKNOWN in cards else INFINITE

    def _iter_flat(self):
        its = [d._iter_flat() for d in self._datasets]
        while True:
            out = []
            for it in its:
                try:
                    out.extend(next(it))
                except StopIteration:
                    return
            yield tuple(out)


class ConcatenateDataset(Dataset):
    """`ds.concatenate(other)`: the first dataset's elements then the second's."""

    def __init__(self, first, second):
        nest.assert_same_structure(first.element_spec, second.element_spec)
        try:
            self._spec = structure.most_specific(first.element_spec, second.element_spec)
        except InvalidArgumentError as e:
            raise TypeError(f"Incompatible dataset elements in concatenate: {e}; "
                            f"{first.element_spec} vs. {second.element_spec}") from None
        self._a, self._b = first, second

    def _inputs(self):
        return [self._a, self._b]

    def _cardinality(self):
        a, b = self._a._cardinality(), self._b._cardinality()
        if INFINITE in (a, b):
            return INFINITE
        if UNKNOWN in (a, b):
            return UNKNOWN
        return a + b

    def _iter_flat(self):
        yield from self._a._iter_flat()
        yield from self._b._iter_flat()


class SampleDataset(Dataset):
    """`Dataset.sample_from_datasets`: each element from a dataset picked at random."""

    def __init__(self, datasets, weights, seed, stop_on_empty):
        self._datasets = list(datasets)
        self._spec = self._datasets[0].element_spec
        for d in self._datasets[1:]:
            self._spec = structure.most_specific(self._spec, d.element_spec)
        w = np.ones(len(self._datasets)) if weights is None else np.asarray(
            [float(x) for x in weights], dtype=np.float64)
        self._weights = w / w.sum()
        self._seed, self._stop = base_seed(seed), stop_on_empty

    def _inputs(self):
        return list(self._datasets)

    def _iter_flat(self):
        rng = make_rng(self._seed, 0)
        its = [d._iter_flat() for d in self._datasets]
        w = self._weights.copy()
        while w.sum() > 0:
            k = rng.choice(len(its), p=w / w.sum())
            try:
                yield next(its[k])
            except StopIteration:
                if self._stop:
                    return
                w[k] = 0.0


class ChooseDataset(Dataset):
    """`Dataset.choose_from_datasets`: element i from `datasets[choice[i]]`."""

    def __init__(self, datasets, choice_dataset, stop_on_empty):
        self._datasets = list(datasets)
        self._choice = choice_dataset
        self._spec = self._datasets[0].element_spec
        self._stop = stop_on_empty

    def _inputs(self):
        return list(self._datasets) + [self._choice]

    def _iter_flat(self):
        its = [d._iter_flat() for d in self._datasets]
        done = set()
        for (k,) in self._choice._iter_flat():
            k = int(k)
            if not 0 <= k < len(its):
                raise InvalidArgumentError(f"choose_from_datasets: choice {k} is out of range "
                                           f"[0, {len(its)})")
            if k in done:
                continue
            try:
                yield next(its[k])
            except StopIteration:
                if self._stop:
                    return
                done.add(k)
