"""``python -m livesim``: see :mod:`livesim.cli`."""

import gc
import sys

# A short-lived process: no cyclic garbage collection while it starts up. Importing numba and
# setting up its CPU target allocate ~100k long-lived objects that the collector would walk
# again and again, and once more at exit; cli.main freezes them once start-up is over.
gc.disable()

from livesim import cli  # noqa: E402

cli.START_UP_GC_OFF = True
sys.exit(cli.main())
