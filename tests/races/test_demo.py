"""Demo data: `seed_demo` is idempotent; `demo --no-serve` migrates, seeds and prints the logins."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from races.demo import DEMO_PASSWORD, ORGANIZER, RACERS, seed_demo
from races.models import Participant, Race, RacerProfile, Track


def counts():
    return tuple(m.objects.count() for m in (get_user_model(), RacerProfile, Race, Participant, Track))


def test_it_works(db):
    demo = seed_demo()
    assert demo["organizer"].username == ORGANIZER[0]
    assert {r.race_type for r in demo["races"]} == {"tt", "oa", "h2b"}
    assert {r.format for r in demo["races"]} == {"classic", "live"}
    assert any(r.is_student for r in demo["races"])
    for race in demo["races"]:
        race.full_clean()  # every demo race follows the rules
        assert race.participants.count() == len(RACERS)
    assert authenticate(username=RACERS[0][1], password=DEMO_PASSWORD) == demo["racers"][0]


def test_it_is_idempotent(db):
    seed_demo()
    first = counts()
    ids = set(Race.objects.values_list("pk", flat=True))
    seed_demo()
    assert counts() == first
    assert set(Race.objects.values_list("pk", flat=True)) == ids


def test_the_seed_command_says_how_many(db, capsys):
    call_command("seed_demo")
    count = Race.objects.filter(organizer__username=ORGANIZER[0]).count()
    assert count >= 5
    assert f"{count} demo races; password for every demo login: {DEMO_PASSWORD}" in capsys.readouterr().out


def test_the_demo_command_prints_the_url_and_logins(db, capsys):
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "Race server (embedded mode): http://127.0.0.1:8000/" in out
    assert f"Organizer login:  {ORGANIZER[0]} / {DEMO_PASSWORD}" in out
    assert ", ".join(r[0] for r in RACERS) + f" / {DEMO_PASSWORD}" in out
    assert Race.objects.filter(organizer__username=ORGANIZER[0]).count() >= 5


def test_the_demo_command_shows_a_reachable_url_for_a_lan_host(db, capsys):
    call_command("demo", no_serve=True, host="0.0.0.0", port="9000")
    assert "http://127.0.0.1:9000/" in capsys.readouterr().out
