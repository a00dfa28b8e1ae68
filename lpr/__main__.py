"""``python -m lpr`` (and ``torchrun -m lpr train ...``) runs the command line."""

import sys

from .cli import main

sys.exit(main())
