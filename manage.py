#!/usr/bin/env python3
"""Django's command-line utility, plus a first-run bootstrap.

`python3 manage.py demo` and `python3 manage.py test` work on a machine that has only Python
3.11+: when the project's dependencies are not importable, this file creates `.venv/` beside it,
installs the project there (`pip install -e .[dev]`) and runs itself again inside it. The install
is redone when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _deps_importable() -> bool:
    try:
        import channels  # noqa: F401
        import daphne  # noqa: F401
        import django  # noqa: F401
        import numba  # noqa: F401
        import rest_framework  # noqa: F401
    except ImportError:
        return False
    return True


def bootstrap(script: Path = ROOT / "manage.py") -> None:
    """Make sure the project's environment runs `script` (re-executed in .venv if need be)."""
    if os.environ.get("RACESERVER_NO_BOOTSTRAP"):
        return
    stamp_file = VENV / ".raceserver-installed"
    if _in_venv():
        if stamp_file.exists() and stamp_file.read_text() == _stamp():
            return
    elif _deps_importable() and not VENV.exists():
        return  # the user's own environment already has everything
    if not VENV_PYTHON.exists():
        print(f"First run: creating a virtual environment in {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not (stamp_file.exists() and stamp_file.read_text() == _stamp()):
        print("Installing the project and its dependencies (once) ...", flush=True)
        subprocess.run(
            [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-e", f"{ROOT}[dev]"],
            check=True,
        )
        stamp_file.write_text(_stamp())
    if not _in_venv():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(script), *sys.argv[1:]])


def main() -> None:
    bootstrap()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError:
        # Only reachable with the bootstrap switched off: say which Python lacks what, and the way out.
        sys.exit(f"Django is not importable by {sys.executable}. RACESERVER_NO_BOOTSTRAP is set, so "
                 f"manage.py does not switch to {VENV_PYTHON}: run that Python, or unset the variable.")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
