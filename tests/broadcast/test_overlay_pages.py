"""Overlay pages: the key opens them without a login (read-only), a stranger without the key gets
404 on a private race, a public race's overlays need the key too (a wrong or reset key is 404 on
every race), a reset key stops working at once,
bad options get a 400 naming the problem."""

from __future__ import annotations

import pytest
from django.test import Client

from broadcast.overlays import KINDS
from races.models import Race


def overlay(race, kind="leaderboard", **query):
    return f"/races/{race.pk}/overlays/{kind}/", query


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_overlay_key_opens_each_overlay_without_a_login(client, live_race, kind):
    path, _ = overlay(live_race, kind)
    response = client.get(path, {"key": live_race.overlay_token})
    assert response.status_code == 200
    assert f'data-part="{kind}"'.encode() in response.content
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_stranger_gets_404_on_a_private_race_overlay_without_the_key(as_mallory, client, live_race, kind):
    path, _ = overlay(live_race, kind)
    for visitor in (as_mallory, client):
        assert visitor.get(path).status_code == 404
        assert visitor.get(path, {"key": "guess"}).status_code == 404


def test_a_reset_key_stops_working_at_once(as_alice, client, live_race):
    old = live_race.overlay_token
    assert as_alice.post(f"/races/{live_race.pk}/broadcast/overlay-key/reset/").status_code == 302
    live_race.refresh_from_db()
    assert live_race.overlay_token != old
    path, _ = overlay(live_race)
    assert client.get(path, {"key": old}).status_code == 404
    assert client.get(path, {"key": live_race.overlay_token}).status_code == 200


def test_the_overlay_key_opens_nothing_but_overlays(client, live_race):
    for page in ("", "edit/", "invitation/", "broadcast/", "commentator/"):
        assert client.get(f"/races/{live_race.pk}/{page}", {"key": live_race.overlay_token}).status_code == 404


def test_only_the_organizer_resets_the_key(as_bob, as_mallory, live_race):
    old = live_race.overlay_token
    assert as_bob.post(f"/races/{live_race.pk}/broadcast/overlay-key/reset/").status_code == 403
    assert as_mallory.post(f"/races/{live_race.pk}/broadcast/overlay-key/reset/").status_code == 404
    live_race.refresh_from_db()
    assert live_race.overlay_token == old


def test_a_public_race_overlay_needs_the_key_and_a_reset_key_stops_working(as_alice, client, live_race):
    """Public viewers watch the race's own pages; an overlay URL opens with the current key only,
    so resetting the key ends the old links of a public race as of a private one."""
    Race.objects.filter(pk=live_race.pk).update(broadcast="public")
    path, _ = overlay(live_race, "podium")
    assert client.get(f"/races/{live_race.pk}/").status_code == 200  # the public race view
    assert client.get(path).status_code == 404
    assert client.get(path, {"key": "guess"}).status_code == 404
    old = live_race.overlay_token
    assert client.get(path, {"key": old}).status_code == 200
    assert client.get(f"/races/{live_race.pk}/broadcast-mode/", {"key": old}).status_code == 200
    assert as_alice.post(f"/races/{live_race.pk}/broadcast/overlay-key/reset/").status_code == 302
    live_race.refresh_from_db()
    assert client.get(path, {"key": old}).status_code == 404
    assert client.get(f"/races/{live_race.pk}/broadcast-mode/", {"key": old}).status_code == 404
    assert client.get(path, {"key": live_race.overlay_token}).status_code == 200


def test_a_wrong_key_is_404_even_for_the_organizer(as_alice, live_race):
    path, _ = overlay(live_race)
    assert as_alice.get(path).status_code == 200  # the race's own people need no key
    assert as_alice.get(path, {"key": "old-or-wrong"}).status_code == 404


def test_the_chroma_background_is_the_colour_asked_for(client, live_race):
    path, _ = overlay(live_race)
    response = client.get(path, {"key": live_race.overlay_token, "chroma": "1", "color": "FF00FF"})
    assert b"background: #ff00ff" in response.content
    plain = client.get(path, {"key": live_race.overlay_token})
    assert b"background: transparent" in plain.content


@pytest.mark.parametrize(("query", "problem"), [
    ({"color": "red;}body{"}, b"color must be a hex colour"),
    ({"top": "ten"}, b"top must be a whole number"),
    ({"top": "0"}, b"top must be between 1 and 50"),
])
def test_bad_options_get_a_400_naming_the_problem(client, live_race, query, problem):
    path, _ = overlay(live_race)
    response = client.get(path, {"key": live_race.overlay_token, **query})
    assert response.status_code == 400 and problem in response.content


def test_an_unknown_overlay_is_404(client, live_race):
    assert client.get(f"/races/{live_race.pk}/overlays/nope/", {"key": live_race.overlay_token}).status_code == 404


def test_the_broadcast_page_lists_keyed_links_for_the_organizer_only(as_alice, as_bob, live_race):
    response = as_alice.get(f"/races/{live_race.pk}/broadcast/")
    assert response.status_code == 200
    assert response.content.count(live_race.overlay_token.encode()) >= len(KINDS)
    assert b"obs_control --race" in response.content
    assert as_bob.get(f"/races/{live_race.pk}/broadcast/").status_code == 403
    assert Client().get(f"/races/{live_race.pk}/broadcast/").status_code == 404


@pytest.mark.parametrize("layout", ["1up", "2up", "intro", "ending"])
def test_broadcast_mode_lays_out_each_scene_with_the_key(client, live_race, layout):
    response = client.get(f"/races/{live_race.pk}/broadcast-mode/", {"key": live_race.overlay_token, "layout": layout})
    assert response.status_code == 200
    cutouts = response.content.count(b'class="cutout"')
    assert cutouts == {"1up": 1, "2up": 2}.get(layout, 0)
    # "commentator" is the role (the commentator's view): the layout's holes are camera cut-outs
    assert b"ommentator" not in response.content
    assert response.content.count(b"<span>Camera ") == cutouts


def test_the_broadcast_page_calls_the_layouts_camera_cut_outs(as_alice, live_race):
    page = as_alice.get(f"/races/{live_race.pk}/broadcast/").content.decode()
    assert "Broadcast mode: Race + one camera cut-out" in page and "Race + two camera cut-outs" in page
    assert "one commentator" not in page and "two commentators" not in page


def test_broadcast_mode_is_404_without_the_key_and_400_for_an_unknown_layout(client, live_race):
    assert client.get(f"/races/{live_race.pk}/broadcast-mode/").status_code == 404
    response = client.get(f"/races/{live_race.pk}/broadcast-mode/", {"key": live_race.overlay_token, "layout": "9up"})
    assert response.status_code == 400 and b"layout must be one of" in response.content


def test_the_season_overlay_shows_a_season_the_race_counts_in(client, live_race, mallory):
    from leaderboard.season_models import Season, SeasonRace

    path, _ = overlay(live_race, "season")
    assert b"This race is in no season" in client.get(path, {"key": live_race.overlay_token}).content
    private_other = Season.objects.create(name="Mallory's private season", organizer=mallory)
    SeasonRace.objects.create(season=private_other, race=live_race)
    content = client.get(path, {"key": live_race.overlay_token}).content
    assert b"Mallory" not in content  # another organizer's private season stays private
    own = Season.objects.create(name="Alice Series 2026", organizer=live_race.organizer)
    SeasonRace.objects.create(season=own, race=live_race)
    content = client.get(path, {"key": live_race.overlay_token}).content
    assert b"Alice Series 2026" in content and b"No results yet" in content


def test_a_classic_race_has_overlay_links_too(as_alice, client, race):
    assert race.overlay_token.encode() in as_alice.get(f"/races/{race.pk}/broadcast/").content
    assert client.get(f"/races/{race.pk}/overlays/leaderboard/", {"key": race.overlay_token}).status_code == 200
