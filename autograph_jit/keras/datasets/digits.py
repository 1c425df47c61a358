"""`tf.keras.datasets.digits` (an autograph_jit extra, not in Keras): scikit-learn's 1,797
real 8x8 handwritten digits through the Keras loader API, for demos and tests on a machine
without the downloaded data sets. Needs scikit-learn (extra `datasets`)."""
import numpy as np


def load_data(test_split=0.2, seed=113):
    """((x_train, y_train), (x_test, y_test)): uint8 images (N, 8, 8) in 0..16 and uint8
    labels, shuffled with `seed` and split like boston_housing.

    >>> (x_train, y_train), (x_test, y_test) = tf.keras.datasets.digits.load_data()
    >>> x_train.shape[1:], x_train.dtype, int(x_train.max())
    ((8, 8), dtype('uint8'), 16)
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("tf.keras.datasets.digits needs scikit-learn: pip install "
                          "'autograph_jit[datasets]'") from e
    d = load_digits()
    x = d.images.astype(np.uint8)
    y = d.target.astype(np.uint8)
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (x[:n], y[:n]), (x[n:], y[n:])
