"""A console / DeepRacer-for-Cloud model folder holds one frozen graph per checkpoint: the garage
races the one the console would (the best checkpoint) and says which in *Your models*."""

from __future__ import annotations

import io
import json
import tarfile

from races.garage import RacerModel

from .model_packages import upload_file


def training_folder(shared_dir) -> bytes:
    """The reference model as a training folder with two checkpoints: 48 is the best, 60 the last
    (and the highest number, so choosing by number would take the wrong one)."""
    sample = shared_dir / "deepracer-reference" / "sample-model" / "model"
    index = {"best_checkpoint": {"name": "48_Step-12345.ckpt", "avg_comp_pct": 100.0},
             "last_checkpoint": {"name": "60_Step-15000.ckpt", "avg_comp_pct": 40.0}}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(sample / "model_metadata.json", arcname="model/model_metadata.json")
        tf.add(sample / "model_48.pb", arcname="model/model_48.pb")

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

        add("model/model_60.pb", b"not the graph that races")
        add("model/deepracer_checkpoints.json", json.dumps(index).encode())
        add("model/48_Step-12345.ckpt.index", b"index")
        add("model/60_Step-15000.ckpt.index", b"index")
    return buf.getvalue()


def test_the_garage_says_which_checkpoint_races(as_bob, media_root, shared_dir):
    response = as_bob.post("/models/", {"name": "Folder", "file": upload_file(training_folder(shared_dir))})
    assert response.status_code == 302
    model = RacerModel.objects.get()
    assert model.status == "ready"
    assert model.metadata["checkpoint"] == "model_48"
    assert model.metadata["checkpoint_reason"] == "48_Step-12345.ckpt (best, deepracer_checkpoints.json)"

    body = as_bob.get("/models/").content.decode()
    row = body[body.index(f'id="model-{model.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "discrete, 12 actions, 1–2 m/s, FRONT_FACING_CAMERA, checkpoint model_48" in row
    assert "Races 48_Step-12345.ckpt (best, deepracer_checkpoints.json)" in row


def test_a_car_export_has_one_graph_and_names_no_checkpoint(as_bob, media_root, shared_dir):
    sample = shared_dir / "deepracer-reference" / "sample-model" / "model"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(sample / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model_48.pb", arcname="agent/model.pb")
    assert as_bob.post("/models/", {"name": "Car", "file": upload_file(buf.getvalue())}).status_code == 302
    model = RacerModel.objects.get()
    assert "checkpoint" not in model.metadata
    assert "checkpoint" not in model.summary
