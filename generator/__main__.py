"""``python -m generator`` is the same as the ``nianbao`` command."""

import sys

from .cli import main

sys.exit(main())
