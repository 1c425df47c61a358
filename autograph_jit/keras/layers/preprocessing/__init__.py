"""Keras 3's preprocessing layers: numeric (Normalization, Discretization), categorical
(CategoryEncoding, Hashing, StringLookup, IntegerLookup), text (TextVectorization) and image
(Resizing, CenterCrop and the Random* augmentations, active only when training)."""
from .normalization import Discretization, Normalization  # noqa: F401
from .encoding import CategoryEncoding, Hashing  # noqa: F401
from .image import CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip  # noqa: F401
from .image import RandomRotation, RandomTranslation, RandomZoom, Resizing  # noqa: F401
from .lookup import IntegerLookup, StringLookup  # noqa: F401
from .text_vectorization import TextVectorization  # noqa: F401
