"""/api/tracks/: the catalog, sortable by popularity, difficulty and length."""

from __future__ import annotations

import pytest

URL = "/api/tracks/"


def slugs(response) -> list[str]:
    return [t["slug"] for t in response.json()["results"]]


def test_it_works(api_bob, tracks):
    response = api_bob.get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == tracks.count()
    assert set(rows[0]) == {"slug", "name", "description", "length_m", "width_m", "difficulty",
                            "popularity", "direction", "both_directions", "closed", "student", "picture"}
    assert rows[0]["picture"] == f"/tracks/{rows[0]['slug']}.svg"
    assert "geometry" not in rows[0]
    assert rows[0]["difficulty"] in ("Easy", "Medium", "Hard", "Expert")


def test_it_requires_authentication(client, tracks):
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize(("ordering", "key", "reverse"), [
    ("popularity", "popularity", False), ("-popularity", "popularity", True),
    ("difficulty", "difficulty", False), ("-difficulty", "difficulty", True),
    ("length", "length_m", False), ("-length", "length_m", True),
])
def test_it_sorts(api_bob, tracks, ordering, key, reverse):
    rows = api_bob.get(URL, {"ordering": ordering}).json()["results"]
    if key == "difficulty":
        order = {t.slug: t.difficulty for t in tracks}
        values = [order[r["slug"]] for r in rows]
    else:
        values = [r[key] for r in rows]
    assert values == sorted(values, reverse=reverse)


def test_it_sorts_by_popularity_by_default(api_bob, tracks):
    rows = api_bob.get(URL).json()["results"]
    assert [r["popularity"] for r in rows] == sorted((r["popularity"] for r in rows), reverse=True)


def test_it_rejects_an_unknown_ordering(api_bob, tracks):
    response = api_bob.get(URL, {"ordering": "name; DROP TABLE"})
    assert response.status_code == 400 and "ordering" in response.json()


def test_it_retrieves_a_track_by_slug(api_bob, student_track):
    response = api_bob.get(f"{URL}{student_track.slug}/")
    assert response.status_code == 200 and response.json()["name"] == student_track.name
    assert api_bob.get(f"{URL}no-such-track/").status_code == 404


def test_it_is_read_only(api_alice, student_track):
    assert api_alice.post(URL, {"slug": "x", "name": "X"}, format="json").status_code == 405
    assert api_alice.delete(f"{URL}{student_track.slug}/").status_code == 405
