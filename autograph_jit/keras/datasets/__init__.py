"""`tf.keras.datasets`: Keras' standard data sets read from `$KERAS_HOME/datasets`
(`~/.keras/datasets`), same file names and formats as Keras; plus `digits` (scikit-learn's
8x8 digits) for machines without the downloads."""
from . import boston_housing, cifar10, digits, fashion_mnist, imdb, mnist  # noqa: F401
