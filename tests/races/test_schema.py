"""/api/schema/: the OpenAPI description of the API, valid and without generator warnings."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_it_works(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Race event server API"
    for path in ("/api/races/", "/api/races/{race_id}/", "/api/races/{race_id}/close/",
                 "/api/races/{race_id}/invitation/", "/api/races/{race_id}/invitation/reset/",
                 "/api/races/{race_id}/participants/", "/api/races/{race_id}/participants/{id}/",
                 "/api/join/", "/api/profile/", "/api/tracks/", "/api/tracks/{slug}/"):
        assert path in schema["paths"], path


def test_it_describes_the_race_options(client, db):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    race = schema["components"]["schemas"]["Race"]["properties"]
    assert race["off_track_penalty"]["pattern"]  # a decimal, as a string
    for field in ("bot_speed", "lane_change_min", "object_count", "time_per_racer", "status"):
        assert field in race
    assert race["status"]["readOnly"] is True


def test_it_generates_a_valid_schema_without_warnings(tmp_path, db):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi" in out.read_text()
