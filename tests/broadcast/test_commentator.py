"""The commentator's view: the organizer and the race's commentators (race staff,
RaceStaff(role="commentator"), given on the Broadcast page or the Trackside setup) see it; other
racers 403, strangers 404. It carries the organizer's notes and, opened mid-turn, the laps driven
so far. (A commentator with no place in a private race: tests/timing/test_staff_access.py.)"""

from __future__ import annotations

import json

from broadcast.models import BroadcastSettings
from races import record
from timing.models import RaceStaff


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('id="overlay-config" type="application/json">') + len('id="overlay-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_a_commentator_sees_the_view_with_the_notes_and_the_laps_so_far(as_bob, live_race, bob, charlie_entered, charlie):
    RaceStaff.objects.create(race=live_race, user=bob, role="commentator")
    settings = BroadcastSettings.of(live_race)
    settings.racer_notes = {str(charlie.pk): "First race"}
    settings.save()
    run = record.begin_run(live_race, charlie.pk, model_name="Brisk")
    response = as_bob.get(f"/races/{live_race.pk}/commentator/")
    assert response.status_code == 200
    data = config(response)
    assert data["notes"] == {str(charlie.pk): "First race"}
    assert data["laps"] == {str(run.pk): []}  # the turn on track, no lap yet
    assert b'data-part="commentator"' in response.content


def test_the_organizer_sees_it_and_other_racers_do_not(as_alice, as_bob, as_mallory, client, live_race):
    assert as_alice.get(f"/races/{live_race.pk}/commentator/").status_code == 200
    assert as_bob.get(f"/races/{live_race.pk}/commentator/").status_code == 403
    assert as_mallory.get(f"/races/{live_race.pk}/commentator/").status_code == 404
    assert client.get(f"/races/{live_race.pk}/commentator/").status_code == 404


def test_a_commentator_with_no_place_in_the_live_race_sees_it(as_charlie, as_mallory, live_race, charlie):
    RaceStaff.objects.create(race=live_race, user=charlie, role="commentator")
    assert as_charlie.get(f"/races/{live_race.pk}/commentator/").status_code == 200
    assert as_charlie.get(f"/races/{live_race.pk}/").status_code == 200
    assert as_mallory.get(f"/races/{live_race.pk}/commentator/").status_code == 404
