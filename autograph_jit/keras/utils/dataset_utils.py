"""`keras.utils.timeseries_dataset_from_array` and `split_dataset`: tf.data datasets built from
in-memory arrays (windows computed with NumPy, then `Dataset.from_tensor_slices(...).batch`)."""
import numpy as np

from ... import data as tf_data
from ... import nest

__all__ = ["split_dataset", "timeseries_dataset_from_array"]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Batches of sliding windows over `data` (and the matching `targets[i]` of each window
    starting at `i`), as Keras 3.

    >>> ds = tf.keras.utils.timeseries_dataset_from_array(
    ...     np.arange(10), None, sequence_length=3, batch_size=4)
    >>> [b.numpy().tolist() for b in ds][0]
    [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    """
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= len(data):
            raise ValueError(f"`{name}` must be higher than 0 and lower than the length of the "
                             f"data. Received: {name}={value}, for data of length {len(data)}")
    if start_index and (start_index < 0 or start_index >= len(data)):
        raise ValueError("`start_index` must be 0 or higher and lower than the length of the "
                         f"data. Received: start_index={start_index}, for data of length "
                         f"{len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data) or end_index <= 0:
            raise ValueError("`end_index` must be higher than 0 and lower than the length of "
                             f"the data. Received: end_index={end_index}, for data of length "
                             f"{len(data)}")
    data = np.asarray(data)
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    if num_seqs < 2147483647:
        index_dtype = "int32"
    else:
        index_dtype = "int64"
    start_positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(start_positions)
    offsets = np.arange(sequence_length, dtype=index_dtype) * sampling_rate
    windows = data[start_index + start_positions[:, None] + offsets[None, :]]
    if targets is not None:
        dataset = tf_data.Dataset.from_tensor_slices(
            (windows, targets[start_index + start_positions]))
    else:
        dataset = tf_data.Dataset.from_tensor_slices(windows)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset


def _as_arrays(dataset):
    """A dataset (arrays, a tuple/dict of arrays, a list of samples, a tf.data.Dataset of
    unbatched samples) as one structure of NumPy arrays of samples."""
    if isinstance(dataset, tf_data.Dataset):
        samples = [nest.map_structure(lambda t: np.asarray(t.numpy() if hasattr(t, "numpy")
                                                          else t), s) for s in dataset]
        if not samples:
            raise ValueError("The dataset to split is empty.")
        return nest.map_structure(lambda *xs: np.stack(xs), *samples)
    if isinstance(dataset, list) and dataset and not hasattr(dataset[0], "shape"):
        dataset = np.asarray(dataset)
    return nest.map_structure(lambda t: np.asarray(t.numpy() if hasattr(t, "numpy") else t),
                              dataset)


def _sizes(total, left_size, right_size):
    def count(size):
        if size is None:
            return None
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError("`left_size`/`right_size` as a float must be in (0, 1). "
                                 f"Received: {size}")
            return int(round(size * total))
        if not isinstance(size, int) or size <= 0 or size > total:
            raise ValueError("`left_size`/`right_size` must be a positive int no larger than "
                             f"the dataset's {total} samples, or a float in (0, 1). "
                             f"Received: {size}")
        return size
    left, right = count(left_size), count(right_size)
    if left is None and right is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` is {left + right}, larger "
                         f"than the dataset's {total} samples.")
    if left == 0 or right == 0:
        raise ValueError("Both splits must hold at least one sample. Received: "
                         f"left_size={left_size}, right_size={right_size} for {total} samples.")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset of samples into two `tf.data.Dataset`s of `left_size` and `right_size`
    samples (ints, or floats as fractions; one may be None: the rest), as Keras 3.

    >>> left, right = tf.keras.utils.split_dataset(np.arange(10), left_size=0.8)
    >>> int(left.cardinality()), int(right.cardinality())
    (8, 2)
    """
    arrays = _as_arrays(dataset)
    total = len(nest.flatten(arrays)[0])
    left, right = _sizes(total, left_size, right_size)
    order = np.arange(total)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(order)
    pick = lambda idx: nest.map_structure(lambda a: a[idx], arrays)
    return (tf_data.Dataset.from_tensor_slices(pick(order[:left])),
            tf_data.Dataset.from_tensor_slices(pick(order[left:left + right])))
