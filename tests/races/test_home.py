"""The community races list: the races you organize or take part in, nothing else."""

from __future__ import annotations

from .helpers import make_race


def test_it_works(as_alice, as_bob, race, joined):
    for client in (as_alice, as_bob):
        response = client.get("/")
        assert response.status_code == 200
        assert list(response.context["races"]) == [race]


def test_it_requires_login(client, race):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lists_only_visible_races(as_bob, alice, mallory, race, joined, student_track):
    make_race(mallory, student_track, name="Mallory Secret")
    make_race(alice, student_track, name="Alice Other")  # bob was not invited
    names = [r.name for r in as_bob.get("/").context["races"]]
    assert names == ["Alice Cup"]


def test_it_does_not_list_a_race_only_because_of_the_link(link_holder, race):
    assert list(link_holder.get("/").context["races"]) == []
