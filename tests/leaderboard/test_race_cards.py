"""Race cards on the home page: countdown, time left, your rank, Enter race / Race again /
Leaderboard, add to calendar."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from leaderboard.templatetags.race_cards import ENTER_URL_NAME, enter_url
from tests.leaderboard.helpers import drive


def card(client, race) -> str:
    html = client.get("/").content.decode()
    start = html.index(f'id="racecard-{race.pk}"')
    return html[start:html.index('<div class="panel racecard"', start) if html.count("racecard-") > 1 else None]


def test_an_open_race_shows_time_left_and_enter_race(race, joined, as_bob):
    html = card(as_bob, race)
    assert "Time left" in html and f'data-countdown="{race.end_at.isoformat()}"' in html
    assert f'href="{enter_url(race)}">Enter race</a>' in html
    assert f'href="/races/{race.pk}/#leaderboard">Leaderboard</a>' in html
    assert f'href="/races/{race.pk}/calendar.ics"' in html


def test_after_a_submission_race_again_and_your_rank(race, joined, bob, charlie, as_bob):
    drive(race, charlie, 9000)
    drive(race, bob, 10000)
    html = card(as_bob, race)
    assert "Race again</a>" in html and "Your rank: <strong>2</strong> of 2" in html


def test_a_race_not_started_counts_down_to_its_start(race, joined, as_bob):
    race.start_at = timezone.now() + timedelta(days=1)
    race.save()
    html = card(as_bob, race)
    assert "Starts in" in html and f'data-countdown="{race.start_at.isoformat()}"' in html
    assert "Enter race" not in html  # entering opens at the start


def test_the_organizer_gets_no_enter_button(race, as_alice):
    html = card(as_alice, race)
    assert "Enter race" not in html and "You organize this race." in html


def test_enter_goes_to_the_classic_entry_page_once_it_exists(race):
    # `races:enter` is the Classic entry page's URL name; until it exists, the race page's entry.
    from django.urls import NoReverseMatch, reverse

    try:
        expected = reverse(ENTER_URL_NAME, kwargs={"race_id": race.pk})
    except NoReverseMatch:
        expected = f"/races/{race.pk}/#classic-entry"
    assert enter_url(race) == expected
