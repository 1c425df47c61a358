"""`tf.keras.datasets.mnist`: 28x28 uint8 digits, from `mnist.npz` (keys x_train, y_train,
x_test, y_test) in the Keras datasets folder."""
import numpy as np

from ._files import locate


def load_data(path="mnist.npz"):
    """((x_train, y_train), (x_test, y_test)): uint8 arrays (60000, 28, 28), (60000,), ...

    >>> (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    """
    with np.load(locate(path, "mnist.load_data"), allow_pickle=True) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)
