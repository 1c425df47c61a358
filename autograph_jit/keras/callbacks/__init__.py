"""`tf.keras.callbacks`: the Callback base class and Keras 3's built-in callbacks."""
from .callback import Callback  # noqa: F401
from .callback import CallbackList  # noqa: F401
from .history import History  # noqa: F401
from .progbar_logger import ProgbarLogger  # noqa: F401
from .monitors import EarlyStopping  # noqa: F401
from .monitors import LearningRateScheduler  # noqa: F401
from .monitors import ReduceLROnPlateau  # noqa: F401
from .monitors import TerminateOnNaN  # noqa: F401
from .files import BackupAndRestore  # noqa: F401
from .files import CSVLogger  # noqa: F401
from .files import LambdaCallback  # noqa: F401
from .files import ModelCheckpoint  # noqa: F401
from .tensorboard import TensorBoard  # noqa: F401
from .swap_ema_weights import SwapEMAWeights  # noqa: F401
from .remote_monitor import RemoteMonitor  # noqa: F401
