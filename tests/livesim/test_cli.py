"""``python -m livesim`` through a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from livesim import builtin_tracks

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livesim", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_tracks_lists_the_catalog() -> None:
    out = cli("tracks")
    assert out.returncode == 0, out.stderr
    for t in builtin_tracks():
        assert t.name in out.stdout
    data = json.loads(cli("tracks", "--json").stdout)
    assert {d["name"] for d in data} == {t.name for t in builtin_tracks()}


def test_evaluate_prints_laps_writes_trace_and_json(tmp_path) -> None:
    trace = tmp_path / "trace.csv"
    out = cli("evaluate", "--track", "oval", "--model", "reference", "--laps", "2",
              "--trace", str(trace))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Lap complete") == 2
    assert trace.read_text().splitlines()[0].startswith("episode,steps,X,Y,yaw")
    res = json.loads(cli("evaluate", "--track", "oval", "--model", "reference:brisk",
                         "--laps", "2", "--race-type", "oa", "--objects", "2",
                         "--seed", "4", "--json").stdout)
    assert [m["completion_percentage"] for m in res["metrics"]] == [100, 100]
    assert res["config"]["num_objects"] == 2 and res["seed"] == 4


def test_evaluate_a_real_track_file_with_bots(shared_dir) -> None:
    npy = shared_dir / "tracks" / "deepracer-simapp" / "reInvent2019_wide.npy"
    out = cli("evaluate", "--track", str(npy), "--model", "reference", "--laps", "1",
              "--race-type", "h2b", "--bots", "2", "--bot-speed", "0.5", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["metrics"][0]["trial"] == 1


@pytest.mark.parametrize("args, word", [
    (("evaluate", "--track", "no-such-track", "--model", "reference"), "unknown track"),
    (("evaluate", "--track", "oval", "--model", "/nonexistent/model"), "does not exist"),
    (("evaluate", "--track", "oval", "--model", "reference", "--laps", "0"), "laps"),
    (("evaluate", "--track", "oval", "--model", "reference", "--objects", "2"), "oa"),
    (("evaluate", "--track", "oval", "--model", "reference", "--race-type", "h2b",
      "--bots", "3", "--bot-speed", "9"), "bot_speed"),
    (("evaluate", "--track", "oval"), "required"),
    (("render", "--track", "oval", "--out", "x.png", "--size", "big"), "size"),
    (("fly",), "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, word) -> None:
    out = cli(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and word in lines[0]


def test_render_writes_a_png(tmp_path) -> None:
    png = tmp_path / "oval.png"
    out = cli("render", "--track", "oval", "--out", str(png), "--size", "400x300")
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_a_model_package_and_reject_a_bad_one(tmp_path) -> None:
    import io

    import numpy as np

    from tests.livesim.test_model_package import DISCRETE, good_members, write_tar

    good = write_tar(tmp_path / "good.tar.gz", good_members())
    out = cli("evaluate", "--track", "oval", "--model", good, "--laps", "1", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["policy"] == "good" and len(res["metrics"]) == 1
    evil = write_tar(tmp_path / "evil.tar.gz", good_members() + [("../../x", b"x")])
    out = cli("evaluate", "--track", "oval", "--model", evil)
    assert out.returncode == 2 and "escapes the package" in out.stderr
    assert "Traceback" not in out.stderr
    wrong = io.BytesIO()
    np.savez(wrong, w0=np.zeros((5, 5)), b0=np.zeros(5))
    bad = write_tar(tmp_path / "bad.tar.gz", [("model_metadata.json", json.dumps(DISCRETE).encode()),
                                               ("model.npz", wrong.getvalue())])
    out = cli("evaluate", "--track", "oval", "--model", bad)
    assert out.returncode == 2 and "w0 has shape (5, 5)" in out.stderr


def test_the_library_never_imports_django() -> None:
    code = ("import sys, livesim, livesim.evaluate, livesim.realtime, livesim.policies, "
            "livesim.gym_env, livesim.batch, livesim.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_tracks_catalog_lists_the_deepracer_tracks_and_evaluate_races_one() -> None:
    data = json.loads(cli("tracks", "--catalog", "--json").stdout)
    assert len(data) == 62
    base = next(d for d in data if d["name"] == "reinvent_base")
    assert base["title"] == "re:Invent 2018" and base["direction"] == "anticlockwise"
    out = cli("evaluate", "--track", "reinvent_base", "--model", "reference", "--laps", "1", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["metrics"][0]["trial"] == 1


def test_evaluate_writes_a_deepracer_for_cloud_evaluation(tmp_path) -> None:
    out = cli("evaluate", "--track", "oval", "--model", "reference", "--laps", "2",
              "--drfc", str(tmp_path / "model"))
    assert out.returncode == 0, out.stderr
    (trace,) = (tmp_path / "model").glob("evaluation-*/evaluation-simtrace/0-iteration.csv")
    stamp = trace.parents[1].name.removeprefix("evaluation-")
    assert len(stamp) == 14 and stamp.isdigit() and str(trace) in out.stderr
    assert trace.read_text().splitlines()[1].split(",")[15] == "prepare"
    metrics = json.loads((tmp_path / "model" / "metrics" / f"EvaluationMetrics-{stamp}.json")
                         .read_text())["metrics"]
    assert [m["episode_status"] for m in metrics] == ["In progress", "Lap complete"]


def test_evaluate_loads_only_what_it_needs_and_leaves_scipy_importable() -> None:
    # the CLI's start-up is most of its wall time (README "Speed"): no Gymnasium (registered
    # lazily), no shapely (built-in tracks are validated by test_catalog, not at each build),
    # numba's CPU target loaded with SciPy's BLAS and cffi hidden (livesim.numba_target)
    code = ("import sys; from livesim.cli import main; "
            "rc = main(['evaluate', '--track', 'sweeper', '--model', 'reference', '--laps', '1']); "
            "print(sorted(m for m in ('gymnasium', 'shapely', 'scipy.linalg', 'cffi') "
            "if m in sys.modules)); "
            "import scipy.linalg, cffi; print(scipy.linalg.cython_blas.__name__, cffi.__name__); "
            "sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert out.stdout.count("Lap complete") == 1
    assert lines[-2:] == ["[]", "scipy.linalg.cython_blas cffi"]


def test_no_kernel_uses_what_the_hidden_blas_check_decides() -> None:
    # numba's BLAS check only changes how np.correlate / np.convolve compile; hiding SciPy from
    # it (livesim.numba_target) changes nothing while no jitted module calls them
    from livesim import camera, car, kernels

    for mod in (kernels, camera, car):  # every module with @njit (car.arc_step via kernels)
        src = Path(mod.__file__).read_text()
        assert "correlate" not in src and "convolve" not in src, mod.__name__


def test_python_m_livesim_turns_garbage_collection_back_on_after_start_up(capsys) -> None:
    # __main__ turns the collector off for the start-up; each command turns it back on with
    # the start-up's objects frozen out of its way (cli._start_up_over), even when it fails
    import gc

    from livesim import cli

    try:
        for argv, code in ((["tracks"], 0),
                           (["evaluate", "--track", "no-such-track", "--model", "reference"], 2)):
            gc.disable()
            cli.START_UP_GC_OFF = True
            assert cli.main(argv) == code
            assert gc.isenabled() and gc.get_freeze_count() > 0 and not cli.START_UP_GC_OFF
            gc.unfreeze()
    finally:
        gc.unfreeze()
        gc.enable()
        cli.START_UP_GC_OFF = False


def test_a_bare_pb_says_what_is_missing_and_what_to_pass(shared_dir, tmp_path) -> None:
    graph = shared_dir / "deepracer-reference" / "sample-model" / "model" / "model_48.pb"
    alone = tmp_path / "model.pb"
    alone.write_bytes(graph.read_bytes())
    out = cli("evaluate", "--track", "oval", "--model", str(alone))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "tar.gz archive" not in out.stderr  # it was read as an archive: "invalid header"
    assert "no model_metadata.json beside it" in out.stderr
    assert "pass a model folder or .tar.gz holding model_metadata.json and the network" in out.stderr
    beside = cli("evaluate", "--track", "oval", "--model", str(graph))  # its folder has the metadata
    assert beside.returncode == 2
    assert f"pass the folder that holds it and its model_metadata.json ({graph.parent})" in beside.stderr
