"""``python -m innovate``: see :mod:`innovate.cli`."""

import sys

from .cli import main

sys.exit(main())
