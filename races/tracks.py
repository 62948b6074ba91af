"""Fill the track catalog: the real DeepRacer tracks of the console's catalog (shipped with
livesim), livesim's built-in demo tracks, and users' .npy files.

`sync_tracks()` (the `sync_tracks` command and the demo run it) creates or refreshes a row per
catalog and built-in track by slug, so running it again changes nothing; imported tracks are
left alone. The real tracks come first by popularity, in the console's catalog order.
"""

from __future__ import annotations

from django.utils.text import slugify

from livesim import catalog, deepracer_tracks
from livesim.track import Track as SimTrack
from livesim.track import load_track

from .models import Track

DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3, "expert": 4}


def _fields(sim: SimTrack) -> dict:
    return {
        "name": sim.title or sim.name.replace("-", " ").title(),
        "description": sim.description[:300],
        "length_m": round(sim.length, 2),
        "width_m": round(sim.width, 3),
        "difficulty": DIFFICULTY.get(sim.difficulty, 2),
        "direction": Track.Direction.CLOCKWISE if sim.clockwise else Track.Direction.COUNTERCLOCKWISE,
        "closed": sim.closed,
        "geometry": {
            "center": sim.center.round(4).tolist(),
            "inner": sim.inner.round(4).tolist(),
            "outer": sim.outer.round(4).tolist(),
        },
    }


CATALOG_POPULARITY = 1000  # above every built-in track: the real ones lead the picker


def sync_catalog_tracks() -> int:
    """Create or refresh a row per track of the DeepRacer console's catalog; returns how many."""
    entries = deepracer_tracks.catalog_entries()
    for rank, entry in enumerate(entries):
        sim = deepracer_tracks.catalog_track(entry.id)
        fields = _fields(sim)
        fields.update(
            popularity=CATALOG_POPULARITY + len(entries) - rank, student=entry.student,
            both_directions=entry.both_directions, source=Track.Source.CATALOG,
        )
        Track.objects.update_or_create(slug=entry.id, defaults=fields)
    return len(entries)


def sync_tracks() -> int:
    """The whole catalog: the real DeepRacer tracks and the built-in demo tracks."""
    return sync_catalog_tracks() + sync_builtin_tracks()


def sync_builtin_tracks() -> int:
    """Create or refresh a catalog row per built-in simulator track; returns how many."""
    sims = catalog.all_builtins()
    for rank, sim in enumerate(sims):
        fields = _fields(sim)
        # Closed circuits first: they are what races are run on; the open templates are for practice.
        fields["popularity"] = len(sims) - rank + (100 if sim.closed else 0)
        # The student set is the console's (its Easy catalog tracks, README "Tracks"): these
        # demo tracks were never on the console, so a student race is not offered them.
        fields["student"] = False
        Track.objects.update_or_create(
            slug=sim.name, defaults={**fields, "source": Track.Source.BUILTIN}
        )
    return len(sims)


def import_track_file(path, name: str, description: str = "", difficulty: str = "medium") -> Track:
    """Load and validate a DeepRacer .npy file (TrackError on a bad one) and add it."""
    if difficulty not in DIFFICULTY:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTY)}")
    sim = load_track(path, name=slugify(name) or "track")
    slug = slugify(name)
    if not slug:
        raise ValueError("the name needs at least one letter or digit")
    if len(name) > 80 or len(slug) > 80:
        raise ValueError("the name is longer than 80 characters")
    if Track.objects.filter(slug=slug).exists():
        raise ValueError(f"a track named “{slug}” is already in the catalog")
    fields = _fields(sim)
    fields.update(name=name[:80], description=description[:300], difficulty=DIFFICULTY[difficulty])
    return Track.objects.create(slug=slug, source=Track.Source.IMPORTED, **fields)
