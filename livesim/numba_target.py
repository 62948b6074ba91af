"""Load numba's CPU target without SciPy's BLAS and cffi, for the short-lived CLI process.

Calling any numba function, even one loaded from the cache, makes numba set up its CPU target
once per process (``numba.core.caching`` calls ``target_context.refresh()``). That imports two
optional integrations when their packages are installed:

* ``numba.np.arraymath`` checks for BLAS, when the module loads, by importing ``scipy.linalg``.
  SciPy is in the environment through the dev extra (deepracer-utils needs it), and
  ``scipy.linalg`` pulls in SciPy's array-API layer and all of numpy's lazy submodules
  (``numpy.f2py`` included): 0.16–0.4 s on the 2-core machine, a third of
  ``python -m livesim evaluate``'s wall time.
* ``numba.core.typing.cffi_utils`` imports ``cffi`` (there for cryptography) and its C parser:
  15–40 ms more.

The BLAS check only decides how numba compiles ``np.correlate`` and ``np.convolve`` of floats (a
BLAS dot product, or else numba's own loop); cffi only lets jitted code call cffi functions.
No livesim kernel uses either, so the kernels compile to the same code and give the same
results. The packages are hidden only while the target loads: they can be imported afterwards.
Long-lived processes (the server, the tests) do not call this; they pay the start-up once and
keep numba's BLAS and cffi support.
"""

from __future__ import annotations

import sys

HIDDEN = ("scipy.linalg", "cffi")


def load_cpu_target_without_blas() -> None:
    """Set up numba's CPU target now, with ``scipy.linalg`` and ``cffi`` unimportable meanwhile.

    Does nothing if the target is already set up; a package already imported stays visible
    (there is nothing left to save on it).
    """
    if "numba.np.arraymath" in sys.modules:
        return
    from numba.core.registry import cpu_target

    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name…` raises ImportError
    try:
        cpu_target.target_context.refresh()
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
