"""manage.py with its bootstrap switched off (RACESERVER_NO_BOOTSTRAP=1)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_names_the_python_and_the_way_out_when_django_is_missing() -> None:
    # -S: no site-packages, so this Python cannot import Django, like a system Python.
    env = {**os.environ, "RACESERVER_NO_BOOTSTRAP": "1"}
    out = subprocess.run([sys.executable, "-S", "manage.py", "check"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "Django is not importable" in out.stderr
    assert "RACESERVER_NO_BOOTSTRAP" in out.stderr and ".venv" in out.stderr
    assert "Traceback" not in out.stderr
