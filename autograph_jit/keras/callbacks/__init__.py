"""`tf.keras.callbacks`: the Callback base class and Keras 3's built-in callbacks."""
from .callback import Callback  # noqa: F401
from .callback import CallbackList  # noqa: F401
from .history import History  # noqa: F401
from .progbar_logger import ProgbarLogger  # noqa: F401
