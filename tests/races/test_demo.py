"""Demo data: `seed_demo` is idempotent; `demo --no-serve` migrates, seeds and prints the logins."""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from races import lineup
from races.demo import DEMO_PASSWORD, ORGANIZER, RACERS, seed_demo
from races.models import Participant, Race, RacerProfile, Track
from races.run_models import Lap, Run


def counts():
    return tuple(m.objects.count() for m in (get_user_model(), RacerProfile, Race, Participant, Track))


def test_it_works(db):
    demo = seed_demo()
    assert demo["organizer"].username == ORGANIZER[0]
    assert {r.race_type for r in demo["races"]} == {"tt", "oa", "h2b"}
    assert {r.format for r in demo["races"]} == {"classic", "live", "in_person"}
    assert any(r.is_student for r in demo["races"])
    for race in demo["races"]:
        race.full_clean()  # every demo race follows the rules
        assert race.participants.count() == len(RACERS)
    assert authenticate(username=RACERS[0][1], password=DEMO_PASSWORD) == demo["racers"][0]


def test_it_offers_the_deepracer_catalog_and_races_on_real_tracks(db):
    demo = seed_demo()
    assert Track.objects.filter(source=Track.Source.CATALOG).count() == 62
    assert Track.objects.filter(source=Track.Source.BUILTIN).exists()  # still there for demos
    tracks = {r.name: r.track.slug for r in demo["races"]}
    assert tracks["Demo LIVE Grand Prix"] == "reinvent_base"
    assert tracks["Demo Object Avoidance"] == "2022_summit_speedway"
    student = next(r for r in demo["races"] if r.is_student)
    assert student.track.source == Track.Source.CATALOG and student.track.student


def test_it_is_idempotent(db):
    seed_demo()
    first = counts()
    ids = set(Race.objects.values_list("pk", flat=True))
    seed_demo()
    assert counts() == first
    assert set(Race.objects.values_list("pk", flat=True)) == ids


def test_it_seeds_an_in_person_race_with_timed_turns_on_its_leaderboard(db):
    from leaderboard.board import race_leaderboard
    from races.demo import TRACK_DAY

    demo = seed_demo()
    track_day = demo["track_day"]
    assert track_day.name == TRACK_DAY and track_day.is_in_person and track_day.is_public
    # the two racers with a timed turn went to the back of the queue, as after the timekeeper's End
    assert [row["alias"] for row in lineup.queue(track_day)] == [r[2] for r in (*RACERS[2:], *RACERS[:2])]
    runs = list(Run.objects.filter(race=track_day).order_by("created_at"))
    assert [(r.source, r.state) for r in runs] == [("timer", "finished")] * 2
    lap = runs[0].laps.get(number=2)
    assert lap.time_ms == sum(lap.sector_times_ms) == 9_550 and len(lap.sector_times_ms) == 3
    board = race_leaderboard(track_day)
    assert [row["racer"] for row in board] == ["SwiftFox", "NightOwl"] and board[0]["time_ms"] == 9_550
    seed_demo()  # idempotent: no second set of turns
    assert Run.objects.filter(race=track_day).count() == 2 and Lap.objects.filter(run__race=track_day).count() == 5


def test_the_demo_timer_token_reads_the_in_person_race_and_a_revocation_stands(db):
    from django.utils import timezone

    from timing.demo import DEMO_TIMER_TOKEN, readtimer_command, seed_trackside
    from timing.models import RaceStaff, TimerToken
    from timing.roles import CONTROL, may

    track_day = seed_demo()["track_day"]
    assert seed_trackside(track_day) == DEMO_TIMER_TOKEN == seed_trackside(track_day)
    assert TimerToken.find(DEMO_TIMER_TOKEN).race_id == track_day.pk
    assert RaceStaff.objects.filter(race=track_day, user=track_day.organizer, role="timekeeper").count() == 1
    assert may(track_day.organizer, track_day, CONTROL)
    command = readtimer_command(track_day, "http://127.0.0.1:8000")
    assert f"--race {track_day.pk}" in command and f"--token {DEMO_TIMER_TOKEN}" in command
    TimerToken.objects.update(revoked_at=timezone.now())
    assert seed_trackside(track_day) is None and TimerToken.find(DEMO_TIMER_TOKEN) is None


def test_the_seed_command_says_how_many(db, capsys):
    call_command("seed_demo")
    count = Race.objects.filter(organizer__username=ORGANIZER[0]).count()
    assert count >= 5
    assert f"{count} demo races; password for every demo login: {DEMO_PASSWORD}" in capsys.readouterr().out


def test_the_demo_command_prints_the_url_and_logins(db, capsys, settings):
    settings.REDIS_URL, settings.JOBS = "", "thread"  # as `demo` runs from a fresh clone
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "Race server (embedded mode): http://127.0.0.1:8000/" in out
    assert f"Organizer login:  {ORGANIZER[0]} / {DEMO_PASSWORD}" in out
    assert ", ".join(r[0] for r in RACERS) + f" / {DEMO_PASSWORD}" in out
    assert Race.objects.filter(organizer__username=ORGANIZER[0]).count() >= 5
    track_day = Race.objects.get(name="Demo Track Day")
    assert f"http://127.0.0.1:8000/races/{track_day.pk}/timekeeper/" in out
    assert f"readtimer --race {track_day.pk} --server http://127.0.0.1:8000 --token drt_demo-track-day-timer" in out


def test_the_printed_readtimer_command_reads_the_lap_lines_the_readme_has_you_type(db, capsys):
    """The demo timer speaks the bare `lap` line: the printed command must say a protocol that
    takes it for a crossing (the default, drem-json, drops it)."""
    import argparse
    import shlex

    from timing.parsers import line_parser
    from timing.reader import add_arguments

    call_command("demo", no_serve=True)
    line = next(text for text in capsys.readouterr().out.splitlines() if "readtimer" in text)
    words = shlex.split(line.split("Its lap timer:", 1)[1])
    assert words[:3] == ["python3", "manage.py", "readtimer"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(words[3:])
    assert line_parser(args.protocol)(b"lap") is not None


def test_the_demo_command_shows_a_reachable_url_for_a_lan_host(db, capsys):
    call_command("demo", no_serve=True, host="0.0.0.0", port="9000")
    assert "http://127.0.0.1:9000/" in capsys.readouterr().out


# -- serving the track-side LAN ----------------------------------------------------------------

def this_machines_lan_ipv4() -> str:
    """A LAN address of this machine, found without the code under test."""
    import ipaddress
    import socket

    import psutil

    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family == socket.AF_INET and not ipaddress.ip_address(a.address).is_loopback:
                return a.address
    raise AssertionError("this machine has no LAN address to test with")


def serve_demo(monkeypatch, client_get, **options) -> tuple[str, list]:
    """Run `demo` with `options`; instead of serving, make requests through `client_get` while
    the settings are those the server would run with. Returns the output and the answers."""
    from django.conf import settings
    from django.test.utils import override_settings

    from races.management.commands.demo import Command

    answers: list = []
    monkeypatch.setattr(Command, "serve", lambda self, host, port: answers.append(client_get()))
    monkeypatch.setattr("races.management.commands.demo.seed_demo",
                        lambda: {"track_day": Race(pk="00000000-0000-0000-0000-000000000001", name="Track Day")})
    monkeypatch.setattr("timing.demo.seed_trackside", lambda race: "drt_x")
    with override_settings(ALLOWED_HOSTS=list(settings.ALLOWED_HOSTS)):  # undo what demo adds
        out = StringIO()
        call_command("demo", stdout=out, **options)
    return out.getvalue(), answers


def test_the_demo_command_accepts_lan_clients_when_serving_the_lan(db, client, monkeypatch):
    ip = this_machines_lan_ipv4()
    out, answers = serve_demo(monkeypatch, lambda: client.get("/accounts/login/", HTTP_HOST=f"{ip}:8000"),
                              host="0.0.0.0")
    assert answers[0].status_code == 200
    assert f"On the LAN:                  http://{ip}:8000/" in out
    assert "http://127.0.0.1:8000/" in out


def test_the_demo_command_accepts_the_lan_address_it_is_given(db, client, monkeypatch):
    ip = this_machines_lan_ipv4()
    out, answers = serve_demo(monkeypatch, lambda: client.get("/accounts/login/", HTTP_HOST=ip), host=ip)
    assert answers[0].status_code == 200
    assert f"http://{ip}:8000/" in out


def test_the_demo_command_refuses_lan_hosts_when_serving_loopback_only(db, client, monkeypatch):
    ip = this_machines_lan_ipv4()
    _, answers = serve_demo(monkeypatch, lambda: client.get("/accounts/login/", HTTP_HOST=ip))
    assert answers[0].status_code == 400  # DisallowedHost: the LAN was not asked for


def test_the_lan_hosts_are_every_interface_address_but_loopback_and_link_local(monkeypatch):
    import socket
    from types import SimpleNamespace as Addr

    from races.demo import lan_hosts

    interfaces = {
        "lo": [Addr(family=socket.AF_INET, address="127.0.0.1"), Addr(family=socket.AF_INET6, address="::1")],
        "wlan0": [Addr(family=socket.AF_INET, address="192.168.1.20"), Addr(family=socket.AF_INET6, address="fd00::20"),
                  Addr(family=socket.AF_INET6, address="fe80::1%wlan0"), Addr(family=17, address="02:00:00:00:00:01")],
        "eth0": [Addr(family=socket.AF_INET, address="10.0.0.5"), Addr(family=socket.AF_INET, address="169.254.3.4")],
    }
    monkeypatch.setattr("psutil.net_if_addrs", lambda: interfaces)
    assert lan_hosts("0.0.0.0") == ["10.0.0.5", "192.168.1.20"]
    assert lan_hosts("::") == ["10.0.0.5", "192.168.1.20", "[fd00::20]"]
    assert lan_hosts("127.0.0.1") == [] and lan_hosts("localhost") == []
    assert lan_hosts("fd00::20") == ["[fd00::20]"] and lan_hosts("racing.local") == ["racing.local"]


def test_the_demo_command_prints_its_mode_truthfully(db, settings):
    """With REDIS_URL set the server's events go through Redis (obs_control and runlive hear
    them): not "embedded mode". The Redis password is not printed."""
    from races.demo import runtime_mode

    settings.REDIS_URL, settings.JOBS = "", "thread"
    out = StringIO()
    call_command("demo", no_serve=True, stdout=out)
    assert "Race server (embedded mode): http://127.0.0.1:8000/" in out.getvalue()
    assert "race events in memory (this process only)" in out.getvalue()

    settings.REDIS_URL = "redis://:s3cret@127.0.0.1:6379/0"
    out = StringIO()
    call_command("demo", no_serve=True, stdout=out)
    text = out.getvalue()
    assert "embedded mode" not in text and "s3cret" not in text
    assert "Race server (events on Redis): http://127.0.0.1:8000/" in text
    assert "race events on Redis redis://:***@127.0.0.1:6379/0 (across processes), jobs on threads in this process" in text

    scaled = SimpleNamespace(DATABASES={"default": {"ENGINE": "django.db.backends.postgresql"}},
                             JOBS="celery", REDIS_URL="redis://10.0.0.5:6379/0")
    assert runtime_mode(scaled) == ("scaled mode", "PostgreSQL, race events on Redis redis://10.0.0.5:6379/0 "
                                                   "(across processes), jobs on Celery workers")


def test_its_live_race_is_public_so_a_viewer_needs_no_account(db, client):
    # The broadcast README ends with a public viewer watching the demo LIVE race.
    demo = seed_demo()
    live = Race.objects.get(name="Demo LIVE Grand Prix")
    assert live.is_public and live in demo["races"]
    assert client.get(f"/races/{live.pk}/").status_code == 200
