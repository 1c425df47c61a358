"""`tf.keras.datasets.fashion_mnist`: 28x28 uint8 clothing images, from the four gzipped IDX
files in `fashion-mnist/` of the Keras datasets folder."""
import gzip
import os

import numpy as np

from ._files import locate

_FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_data():
    """((x_train, y_train), (x_test, y_test)): uint8 (60000, 28, 28), (60000,), (10000, 28,
    28), (10000,).

    The files are never downloaded here; without them the error says where to put them:

    >>> import os, tempfile
    >>> os.environ["KERAS_HOME"] = tempfile.mkdtemp()
    >>> try:
    ...     tf.keras.datasets.fashion_mnist.load_data()
    ... except FileNotFoundError as e:
    ...     print("fashion-mnist" in str(e))
    True
    >>> del os.environ["KERAS_HOME"]
    """
    paths = [locate(os.path.join("fashion-mnist", f), "fashion_mnist.load_data", _URL + f)
             for f in _FILES]
    with gzip.open(paths[0], "rb") as f:
        y_train = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(paths[1], "rb") as f:
        x_train = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y_train), 28, 28)
    with gzip.open(paths[2], "rb") as f:
        y_test = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(paths[3], "rb") as f:
        x_test = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
