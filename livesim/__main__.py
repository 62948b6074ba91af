"""``python -m livesim``: see :mod:`livesim.cli`."""

import sys

from livesim.cli import main

sys.exit(main())
