"""Load a model package and run its first inference in a child process with bounded memory.

A package's weights pass the static checks of :mod:`livesim.weights_check` before they are
loaded anywhere; what a runtime still does with them (onnxruntime's graph optimisations, the
memory arena, a future runner's quirks) is tried first here, in a child whose address space and
CPU time are capped by ``setrlimit``: a package that needs more fails in the child with a
reason, and the server process never allocates it.

Run as ``python -m livesim.package_probe PATH MEMORY_BYTES CPU_SECONDS``; it prints one JSON
object, ``{"ok": true}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from livesim.model_package import ModelPackageError

log = logging.getLogger(__name__)

DEFAULT_MEMORY_BYTES = 2 * 1024**3
DEFAULT_CPU_SECONDS = 60
_OUT_OF_MEMORY = ("bad_alloc", "failed to allocate", "cannot allocate", "out of memory",
                  "unable to allocate")


def _limit_text(memory_bytes: int) -> str:
    return f"{memory_bytes / 1024**2:.0f} MB"


def probe_package(path: str | os.PathLike, *, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                  cpu_seconds: int = DEFAULT_CPU_SECONDS) -> None:
    """Load ``path`` and run one inference in a bounded child; ModelPackageError says why not."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    cmd = [sys.executable, "-m", "livesim.package_probe", str(path), str(memory_bytes),
           str(cpu_seconds)]
    limits = f"the {_limit_text(memory_bytes)} memory and {cpu_seconds} s CPU limits"
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=cpu_seconds * 2 + 30, check=False)
    except subprocess.TimeoutExpired:
        raise ModelPackageError(f"loading the model took longer than {limits} allow") from None
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if answer.get("ok") is True and done.returncode == 0:
        return
    error = str(answer.get("error") or "")
    if any(w in error.lower() for w in _OUT_OF_MEMORY) or (not error and done.returncode < 0):
        # MemoryError, a runtime's failed allocation, or killed by a signal (SIGXCPU, SIGKILL)
        raise ModelPackageError(f"the model cannot be loaded and run within {limits}")
    if not error:  # the check process itself failed: the server's problem, not the racer's
        log.error("model check of %s failed (exit %s): %s", path, done.returncode,
                  done.stderr[-2000:])
        raise ModelPackageError("the model could not be checked (the server logged why); "
                                "try again later")
    raise ModelPackageError(error)


def _child(path: str, memory_bytes: int, cpu_seconds: int) -> dict:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    try:
        from livesim.model_package import load_model_package
        from livesim.policies import policy_from_package

        policy_from_package(load_model_package(path))  # the runners try one observation
    except MemoryError:
        return {"error": "out of memory"}
    except (ModelPackageError, ValueError, OSError) as exc:
        return {"error": str(exc)}
    return {"ok": True}


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))), flush=True)
