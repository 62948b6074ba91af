"""Demo data for a first look: an organizer, racers with aliases, and races of every kind."""

from __future__ import annotations

import ipaddress
import socket
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psutil
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import record
from .garage import Entry, RacerModel, enter_race, reference_model
from .models import Participant, Race, RacerProfile, Track
from .run_models import Run
from .tracks import sync_tracks

DEMO_PASSWORD = "racing-demo"
ORGANIZER = ("organizer", "organizer@example.com", "RaceControl", "US")
RACERS = [
    ("racer1", "racer1@example.com", "SwiftFox", "DE"),
    ("racer2", "racer2@example.com", "NightOwl", "JP"),
    ("racer3", "racer3@example.com", "SteadyEddie", "GB"),
    ("racer4", "racer4@example.com", "LateBraker", "BR"),
]
# Each demo racer's built-in reference driver (livesim.reference parameters), in RACERS order.
DEMO_MODELS = [
    ("Aggressive", {"temperament": "aggressive"}),
    ("Balanced", {"temperament": "brisk", "max_speed": 2.5}),
    ("Steady", {"temperament": "cautious"}),
    ("Late braker", {"max_speed": 3.2, "lateral_accel": 4.0, "brake_accel": 6.0, "lookahead": 0.5}),
]
LIVE_DEMO = "Demo LIVE Grand Prix"
TRACK_DAY = "Demo Track Day"  # in person: a physical track, timed by a lap timer and a timekeeper
# Its first turns, already timed (racer index in RACERS, car, laps as (sector 1, 2, 3) in ms),
# so its leaderboard, runs and overlays have something to show before the first real lap.
TRACK_DAY_TURNS = [
    (0, "Car 1 (red)", [(3_310, 3_540, 3_020), (3_150, 3_420, 2_980), (3_400, 3_610, 3_090)]),
    (1, "Car 2 (blue)", [(3_390, 3_600, 3_110), (3_280, 3_480, 3_050)]),
]


def _user(username: str, email: str, alias: str, country: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    RacerProfile.objects.get_or_create(user=user, defaults={"alias": alias, "country": country})
    return user


@transaction.atomic
def seed_demo() -> dict:
    """Idempotent: running it twice changes nothing."""
    sync_tracks()
    organizer = _user(*ORGANIZER)
    racers = [_user(*r) for r in RACERS]
    tracks = list(Track.objects.filter(closed=True).order_by("length_m"))
    if not tracks:
        raise RuntimeError("no closed track in the catalog")
    pick = {t.slug: t for t in tracks}
    mid = tracks[len(tracks) // 2]
    # The real DeepRacer tracks where the catalog has them: re:Invent 2018 is the track most
    # console models were first trained on; the built-ins stand in when it is missing.
    reinvent = pick.get("reinvent_base", mid)
    now = timezone.now().replace(second=0, microsecond=0)
    specs = [
        dict(name="Demo Time Trial", race_type="tt", format="classic", track=pick.get("oval", tracks[0]),
             start_at=now - timedelta(days=1), end_at=now + timedelta(days=14),
             description="A Classic time trial: best lap counts.", ranking_method="best_lap"),
        dict(name="Demo LIVE Grand Prix", race_type="tt", format="live", track=reinvent,
             start_at=now + timedelta(minutes=30), end_at=now + timedelta(hours=4, minutes=30),
             description="A LIVE race: launch runs from the organizer panel.", time_per_racer=3,
             broadcast="public"),
        dict(name="Demo Object Avoidance", race_type="oa", format="classic",
             track=pick.get("2022_summit_speedway", mid),
             start_at=now + timedelta(days=2), end_at=now + timedelta(days=9),
             collision_penalty=Decimal("3"), object_count=3,
             object_positions=[{"lane": "outside", "location": 20}, {"lane": "inside", "location": 50},
                               {"lane": "outside", "location": 80}]),
        dict(name="Demo Head-to-Bot", race_type="h2b", format="classic", track=tracks[-1],
             start_at=now - timedelta(days=3), end_at=now + timedelta(days=4),
             collision_penalty=Decimal("3"), bot_count=2, bot_speed=Decimal("1.0"), lane_change=True,
             lane_change_min=Decimal("2"), lane_change_max=Decimal("5")),
        dict(name=TRACK_DAY, race_type="tt", format="in_person", track=reinvent,
             start_at=now - timedelta(minutes=30), end_at=now + timedelta(hours=3, minutes=30),
             description="In person: a printed track, a lap timer and a timekeeper (README, In-person races).",
             time_per_racer=3, broadcast="public"),
        dict(name="Demo Student Race", flavour="student", race_type="tt", format="classic",
             track=Track.objects.filter(student=True, closed=True).first() or tracks[0],
             start_at=now - timedelta(days=1), end_at=now + timedelta(days=30), ranking_method="total_time",
             min_laps=3),
    ]
    races = []
    for spec in specs:
        race = Race.objects.filter(organizer=organizer, name=spec["name"]).first()
        if race is None:
            race = Race(organizer=organizer, **spec)
            race.full_clean()
            race.save()
        races.append(race)
        for user in racers:
            Participant.objects.get_or_create(race=race, user=user)
    _seed_models(racers, next(r for r in races if r.name == LIVE_DEMO))
    track_day = next(r for r in races if r.name == TRACK_DAY)
    _seed_turns(racers, track_day)
    track_day.refresh_from_db(fields=["queue_order"])  # each turn's end sent its racer back
    return {"organizer": organizer, "racers": racers, "races": races, "track_day": track_day}


def _seed_models(racers, live: Race) -> None:
    """Each demo racer owns a reference driver of their own temperament, entered in the LIVE race."""
    for user, (name, params) in zip(racers, DEMO_MODELS, strict=True):
        model = RacerModel.objects.filter(owner=user, name=name).first() or reference_model(user, name, **params)
        if live.entries_open and not Entry.objects.filter(race=live, user=user).exists():
            enter_race(live, user, model)


def _seed_turns(racers, race: Race) -> None:
    """The in-person race's first timed turns, through the one record path (source `timer`, as a
    lap timer's turn ends): once, while the race has no run."""
    if Run.objects.filter(race=race).exists():
        return
    for index, car, laps in TRACK_DAY_TURNS:
        run = record.begin_run(race, racers[index].pk, source=Run.Source.TIMER, model_name=car)
        record.claim_run(run.pk, "demo")
        run = record.start_run(run.pk, "demo", duration_s=(race.time_per_racer or 3) * 60)
        at = 0.0
        for number, sectors in enumerate(laps, start=1):
            time_ms = sum(sectors)
            record.record_lap(run, number=number, time_ms=time_ms, sector_times_ms=list(sectors),
                              start_time=at, end_time=at + time_ms / 1000)
            at += time_ms / 1000
        record.end_run(run.pk, Run.State.FINISHED)


# -- what the server runs on -----------------------------------------------------------------

def safe_url(url: str) -> str:
    """A service URL without its password (it is printed)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    return urlunsplit(parts._replace(netloc=netloc))


def runtime_mode(config=None) -> tuple[str, str]:
    """The server's mode as the settings make it (the README's "Runtime modes"), and what it runs
    on: embedded without REDIS_URL (events in memory, in this process only), scaled with
    PostgreSQL, Redis and Celery workers, and in between Redis for the events (`obs_control`,
    `runlive` and other processes hear them) with SQLite or jobs on threads."""
    config = config or django_settings
    sqlite = config.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    database = "SQLite" if sqlite else "PostgreSQL" if "postgres" in config.DATABASES["default"]["ENGINE"] else "database"
    jobs = {"thread": "jobs on threads in this process", "celery": "jobs on Celery workers",
            "inline": "jobs inline"}.get(config.JOBS, f"jobs: {config.JOBS}")
    if not config.REDIS_URL:
        return "embedded mode", f"{database}, race events in memory (this process only), {jobs}"
    mode = "scaled mode" if not sqlite and config.JOBS == "celery" else "events on Redis"
    return mode, f"{database}, race events on Redis {safe_url(config.REDIS_URL)} (across processes), {jobs}"


# -- serving the track-side LAN ------------------------------------------------------------

WILDCARDS = {"0.0.0.0": (4,), "::": (4, 6), "": (4,)}  # "::" takes IPv4 too (dual stack)


def lan_addresses(versions: tuple[int, ...] = (4,)) -> list[str]:
    """This machine's addresses that other machines on its networks can reach: every
    interface's address of those IP versions, except loopback and link-local ones."""
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = ipaddress.ip_address(address.address.split("%")[0])  # fe80::1%eth0: a zone
            if ip.version in versions and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
                found.append(ip)
    return [str(ip) for ip in sorted(set(found), key=lambda ip: (ip.version, ip))]


def host_header(host: str) -> str:
    """How `host` appears in a Host header and in ALLOWED_HOSTS (an IPv6 address in brackets)."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def lan_hosts(bind: str) -> list[str]:
    """The hosts LAN clients reach a server bound to `bind` by: this machine's LAN addresses for
    a wildcard (0.0.0.0, ::), else `bind` itself; none for loopback. As in ALLOWED_HOSTS."""
    bind = bind.strip("[]")
    if bind in WILDCARDS:
        return [host_header(ip) for ip in lan_addresses(WILDCARDS[bind])]
    return [] if is_loopback(bind) else [host_header(bind)]
