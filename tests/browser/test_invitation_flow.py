"""In a real browser: create a LIVE object-avoidance race in the wizard, copy its invitation
link, a second user joins with it, the organizer removes them, and the link no longer works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from races.models import Participant, Race

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_creates_shares_joins_and_revokes(alice, bob, tracks, new_page, tmp_path):
    alice_page = new_page("alice")
    alice_page.goto("/races/new/")
    alice_page.check("input[name=format][value=live]")
    alice_page.check("input[name=race_type][value=oa]")
    alice_page.fill("input[name=name]", "Friday Night Dodgeball")
    start = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    alice_page.fill("input[name=start_at]", start)
    alice_page.fill("input[name=end_at]", "")
    alice_page.select_option("select[name=time_zone]", "Europe/Berlin")
    alice_page.locator("#track-list input[type=radio]").nth(2).check()
    alice_page.click("#next")

    # Step 2: OA options are shown, Classic-only ones hidden.
    alice_page.wait_for_url("**/races/new/*/2/")
    assert alice_page.locator("#field-object_count").is_visible()
    assert not alice_page.locator("#field-ranking_method").is_visible()
    assert not alice_page.locator("#field-bot_count").is_visible()
    alice_page.fill("input[name=object_count]", "2")
    assert not alice_page.locator(".object-row[data-index='3']").is_visible()
    alice_page.select_option("select[name=obj_lane_1]", "inside")
    alice_page.fill("input[name=obj_location_1]", "25")
    alice_page.select_option("select[name=obj_lane_2]", "outside")
    alice_page.fill("input[name=obj_location_2]", "75")
    alice_page.fill("input[name=collision_penalty]", "3")
    alice_page.fill("input[name=time_per_racer]", "4")
    alice_page.click("#next")

    alice_page.wait_for_url("**/races/new/*/3/")
    review = alice_page.locator("dl.specs").inner_text()
    assert "Friday Night Dodgeball" in review and "inside 25 %" in review and "4 min" in review
    alice_page.click("#submit")

    alice_page.wait_for_url("**/invitation/?created=1")
    race = Race.objects.get(name="Friday Night Dodgeball")
    assert (race.format, race.race_type, race.object_count, race.time_per_racer) == ("live", "oa", 2, 4)
    assert race.object_positions == [{"lane": "inside", "location": 25}, {"lane": "outside", "location": 75}]
    assert race.end_at - race.start_at == timedelta(hours=4)
    assert race.start_at.astimezone(race.tz).strftime("%Y-%m-%dT%H:%M") == start

    alice_page.click("#copy-link")
    link = alice_page.evaluate("navigator.clipboard.readText()")
    assert link.endswith(f"/join/{race.invite_token}/")
    assert alice_page.locator(".qr svg").count() == 1
    alice_page.screenshot(path=str(tmp_path / "invitation.png"))

    bob_page = new_page("bob")
    bob_page.goto(link)
    bob_page.click("#join-race")
    bob_page.wait_for_url(f"**/races/{race.pk}/")
    assert "You are racing as BobTheRacer" in bob_page.locator("#my-status").inner_text()
    assert Participant.objects.filter(race=race, user__username="bob", removed_at=None).exists()

    alice_page.goto(f"/races/{race.pk}/racers/")
    assert "BobTheRacer" in alice_page.locator("table").inner_text()
    alice_page.check("input[aria-label='Select BobTheRacer']")
    alice_page.once("dialog", lambda dialog: dialog.accept())
    alice_page.click("#remove-racers")
    alice_page.wait_for_selector("text=their access is revoked")
    assert "BobTheRacer" not in alice_page.locator("table").inner_text()

    response = bob_page.goto(f"/races/{race.pk}/")
    assert response.status == 404
    response = bob_page.goto(link)
    assert response.status == 404
    assert "Friday Night Dodgeball" not in bob_page.content()
