"""`tf.keras.datasets.boston_housing`: 13 features and a price per house, from
`boston_housing.npz` (keys x, y), shuffled with `seed` and split as Keras."""
import numpy as np

from ._files import locate


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """((x_train, y_train), (x_test, y_test)) with `test_split` of the rows in test.

    The example reads a tiny file of the same layout (`x`, `y`):

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "boston_housing.npz")
    >>> np.savez(path, x=np.arange(26.0).reshape(2, 13), y=np.array([24.0, 21.6]))
    >>> (x_train, y_train), (x_test, y_test) = tf.keras.datasets.boston_housing.load_data(
    ...     path, test_split=0.5)
    >>> x_train.shape, x_test.shape
    ((1, 13), (1, 13))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    with np.load(locate(path, "boston_housing.load_data"), allow_pickle=True) as f:
        x, y = f["x"], f["y"]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
