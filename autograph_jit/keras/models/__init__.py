"""`tf.keras.models`: Model, Sequential, functional models, and loading/cloning helpers."""
from .model import Model  # noqa: F401
from .sequential import Sequential  # noqa: F401
from .functional import Functional  # noqa: F401
from .saving_api import load_model, model_from_json, clone_model  # noqa: F401
