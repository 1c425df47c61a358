"""`tf.keras.datasets.mnist`: 28x28 uint8 digits, from `mnist.npz` (keys x_train, y_train,
x_test, y_test) in the Keras datasets folder."""
import numpy as np

from ._files import locate


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset: ((x_train, y_train), (x_test, y_test)), uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    Args:
      path: the file, relative to `~/.keras/datasets` (or `$KERAS_HOME/datasets`), or absolute.
        It is never downloaded here: a missing file raises FileNotFoundError naming where to
        put it.

    Returns:
      Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

    The example reads a tiny file of the same layout:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "mnist.npz")
    >>> np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([3, 1], np.uint8),
    ...          x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.array([7], np.uint8))
    >>> (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data(path)
    >>> x_train.shape, y_train.tolist(), y_test.tolist()
    ((2, 28, 28), [3, 1], [7])
    """
    with np.load(locate(path, "mnist.load_data"), allow_pickle=True) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)
