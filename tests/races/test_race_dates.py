"""Race dates stay in a sane range (Race.DATE_RANGE): 9999-12-31 or 0001-01-01 would overflow
the moment a page adds a duration or converts them to the race's time zone.

Input outside the range is refused per field, naming the range, by the wizard, the edit form,
the model and the API; races stored before the rule (or saved past it) still render.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from races.forms import RaceForm
from races.models import Race, race_date_range, shifted

from .helpers import LIVE, api_payload, form_data, make_race, path_of

FAR_FUTURE = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
FAR_PAST = datetime(1, 1, 1, 0, 30, tzinfo=UTC)


def range_words() -> tuple[str, str]:
    first, last = race_date_range()
    return f"{first:%-d %B %Y}", f"{last:%-d %B %Y}"


def assert_names_the_range(messages: list[str]) -> None:
    first, last = range_words()
    assert any(first in m and last in m for m in messages), messages


# -- the range -------------------------------------------------------------------------------

def test_the_range_runs_from_2000_to_ten_years_ahead():
    first, last = race_date_range(datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert first == datetime(2000, 1, 1, tzinfo=UTC)
    assert last == datetime(2036, 11, 30, 12, tzinfo=UTC)
    assert race_date_range(datetime(2028, 2, 29, tzinfo=UTC))[1] == datetime(2038, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize("start", [
    datetime(2000, 1, 1, 0, 0, tzinfo=UTC), timezone.now() + timedelta(days=365 * 10),
], ids=["first-day", "ten-years-ahead"])
def test_the_model_accepts_dates_at_the_edges_of_the_range(alice, student_track, start):
    race = Race(organizer=alice, track=student_track, name="Edge", start_at=start, end_at=start + timedelta(hours=1))
    race.full_clean()


# -- refused on input ----------------------------------------------------------------------------

BAD_WALL_CLOCKS = [
    # (what the organizer typed, time zone, format): each overflowed a page or the save before
    pytest.param("9999-12-31T23:00", "Pacific/Kiritimati", "live", id="9999-live"),
    pytest.param("9999-12-31T23:00", "UTC", "classic", id="9999-classic"),
    pytest.param("0001-01-01T00:00", "America/New_York", "classic", id="0001-new-york"),
    pytest.param("1999-12-31T23:59", "UTC", "classic", id="1999"),
    pytest.param((timezone.now() + timedelta(days=366 * 10 + 1)).strftime("%Y-%m-%dT%H:%M"), "UTC", "classic",
                 id="ten-years-and-a-day-ahead"),
]


@pytest.mark.parametrize(("start", "tz", "fmt"), BAD_WALL_CLOCKS)
def test_the_form_refuses_a_start_outside_the_range(alice, student_track, start, tz, fmt):
    extra = LIVE if fmt == "live" else {"end_at": "9999-12-31T23:59"}
    form = RaceForm(form_data(student_track, **{**extra, "start_at": start, "time_zone": tz}), organizer=alice)
    assert not form.is_valid()
    assert_names_the_range(form.errors["start_at"])
    assert Race.objects.count() == 0


def test_the_form_refuses_an_end_outside_the_range(alice, student_track):
    form = RaceForm(form_data(student_track, end_at="9999-12-31T23:59"), organizer=alice)
    assert not form.is_valid()
    assert list(form.errors) == ["end_at"]
    assert_names_the_range(form.errors["end_at"])


@pytest.mark.parametrize(("start", "tz", "fmt"), BAD_WALL_CLOCKS)
def test_the_wizard_refuses_a_start_outside_the_range(as_alice, student_track, start, tz, fmt):
    data = form_data(student_track, **{**(LIVE if fmt == "live" else {}), "start_at": start, "time_zone": tz})
    step1 = {k: data[k] for k in ("flavour", "format", "race_type", "name", "start_at", "time_zone", "track")}
    response = as_alice.post("/races/new/", step1)
    assert response.status_code == 200
    assert_names_the_range(response.context["form"].errors["start_at"])
    assert Race.objects.count() == 0


def test_the_edit_form_refuses_a_start_outside_the_range(as_alice, alice, student_track):
    race = make_race(alice, student_track, format="live")
    data = form_data(student_track, **LIVE, start_at="9999-12-31T23:00", time_zone="Pacific/Kiritimati")
    response = as_alice.post(f"/races/{race.pk}/edit/", data)
    assert response.status_code == 200
    assert_names_the_range(response.context["form"].errors["start_at"])
    race.refresh_from_db()
    assert race.start_at.year < 9999


@pytest.mark.parametrize(("start", "fmt"), [
    ("9999-12-31T20:00:00Z", "live"), ("9999-12-31T23:00:00Z", "classic"),
    ("0001-01-01T00:00:00-05:00", "classic"), ("0001-01-01T03:00:00+05:00", "classic"),
    ("1999-12-31T12:00:00Z", "classic"),
])
def test_the_api_refuses_a_start_outside_the_range(api_alice, student_track, start, fmt):
    extra = LIVE if fmt == "live" else {"end_at": "9999-12-31T23:59:00Z"}
    response = api_alice.post("/api/races/", api_payload(student_track, **{**extra, "start_at": start}), format="json")
    assert response.status_code == 400, response.content
    assert_names_the_range(response.json()["start_at"])
    assert Race.objects.count() == 0


def test_the_api_refuses_a_move_outside_the_range(api_alice, alice, student_track):
    race = make_race(alice, student_track)
    response = api_alice.patch(f"/api/races/{race.pk}/", {"end_at": "9999-12-31T23:59:00Z"}, format="json")
    assert response.status_code == 400
    assert_names_the_range(response.json()["end_at"])


# -- stored odd dates still render ----------------------------------------------------------

ODD_RACES = [
    pytest.param({"start_at": FAR_FUTURE, "end_at": FAR_FUTURE + timedelta(minutes=59),
                  "time_zone": "Pacific/Kiritimati"}, id="9999-kiritimati"),
    pytest.param({"start_at": FAR_PAST, "end_at": FAR_PAST + timedelta(days=1),
                  "time_zone": "America/New_York"}, id="0001-new-york"),
]


@pytest.fixture
def odd_race(request, alice, student_track):
    """A race saved straight to the database, past every rule."""
    return Race.objects.create(organizer=alice, track=student_track, name="Odd", **request.param)


@pytest.mark.parametrize("odd_race", ODD_RACES, indirect=True)
@pytest.mark.parametrize("page", ["", "edit/", "invitation/", "racers/"])
def test_the_pages_of_a_race_with_odd_stored_dates_still_work(as_alice, odd_race, page):
    assert as_alice.get(f"/races/{odd_race.pk}/{page}").status_code == 200


@pytest.mark.parametrize("odd_race", ODD_RACES, indirect=True)
def test_the_lists_and_api_of_a_race_with_odd_stored_dates_still_work(as_alice, api_alice, odd_race):
    for url in ("/", "/races/manage/", "/races/manage/?status=open", f"/api/races/{odd_race.pk}/",
                f"/api/races/{odd_race.pk}/invitation/", "/api/races/"):
        client = api_alice if url.startswith("/api/") else as_alice
        closed_link = url.endswith("/invitation/") and odd_race.status == Race.Status.CLOSED
        assert client.get(url).status_code == (409 if closed_link else 200), url


@pytest.mark.parametrize("odd_race", ODD_RACES, indirect=True)
def test_the_edit_page_shows_odd_stored_dates_and_asks_for_new_ones(as_alice, odd_race):
    page = as_alice.get(f"/races/{odd_race.pk}/edit/")
    form = page.context["form"]
    assert form["start_at"].value()  # shown (in UTC when the race's zone cannot hold it)
    data = {k: v for k, v in form_data(odd_race.track, time_zone=odd_race.time_zone).items()}
    data["start_at"] = form["start_at"].value()
    response = as_alice.post(f"/races/{odd_race.pk}/edit/", data)
    assert response.status_code == 200
    assert_names_the_range(response.context["form"].errors["start_at"])


@pytest.mark.parametrize("odd_race", ODD_RACES, indirect=True)
def test_the_status_of_odd_stored_dates_does_not_overflow(odd_race):
    assert odd_race.status in {Race.Status.OPENING_SOON, Race.Status.CLOSED}
    assert odd_race.closes_at == odd_race.end_at
    odd_race.link_is_valid(odd_race.invite_token)
    odd_race.local_time(odd_race.start_at)


def test_a_valid_race_is_saved_after_the_range_message(as_alice, student_track):
    """The wizard's first step passes once the organizer corrects the date."""
    data = form_data(student_track, start_at="9999-12-31T23:00", end_at="9999-12-31T23:59")
    step1 = {k: data[k] for k in ("flavour", "format", "race_type", "name", "start_at", "end_at", "time_zone", "track")}
    assert as_alice.post("/races/new/", step1).status_code == 200
    step1.update(form_data(student_track))
    step1 = {k: step1[k] for k in ("flavour", "format", "race_type", "name", "start_at", "end_at", "time_zone", "track")}
    response = as_alice.post("/races/new/", step1)
    assert response.status_code == 302
    assert path_of(response).startswith("/races/new/") and path_of(response).endswith("/2/")


def test_the_form_offers_the_range_in_the_date_pickers(alice):
    _, last = race_date_range()
    attrs = RaceForm(organizer=alice).fields["start_at"].widget.attrs
    assert attrs["min"] == "2000-01-01T00:00"
    assert attrs["max"] == last.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(("moment", "delta", "expected"), [
    (FAR_PAST, -timedelta(hours=1), datetime.min.replace(tzinfo=UTC)),
    (FAR_FUTURE, timedelta(hours=4), datetime.max.replace(tzinfo=UTC)),
    (FAR_FUTURE, -timedelta(hours=1), FAR_FUTURE - timedelta(hours=1)),
])
def test_shifting_an_odd_stored_date_stops_at_the_calendars_edge(moment, delta, expected):
    assert shifted(moment, delta) == expected
