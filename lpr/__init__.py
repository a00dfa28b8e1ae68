"""lpr: licence-plate recognition with a rectifying STN in front of an LPRNet CTC reader."""

from .alphabet import Alphabet
from .decoding import Reading
from .pipeline import Recognizer

__version__ = "0.1.0"
__all__ = ["Alphabet", "Reading", "Recognizer", "__version__"]
