"""In a real browser: the organizer edits an in-person race's queue on the race page with the LIVE
panel's editor (drag, ✕, Save), and the timekeeper's tablet, open meanwhile, follows the new
order in its racer chooser and COMING UP without a reload."""

from __future__ import annotations

import pytest

from tests.scenes import make_user
from tests.timing.conftest import make_in_person_race

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The shown header cells of COMING UP and the shown cells of each shown row (a hidden drag
# handle takes no column: its header must go with it, or every header stands one column off).
SHOWN_COLUMNS = """() => {
  const shown = (el) => el.getClientRects().length > 0;
  const table = document.getElementById("queue-table");
  const rows = [...table.querySelectorAll("tbody tr.queue-row")].filter(shown);
  return {headers: [...table.querySelectorAll("thead th")].filter(shown).length,
          rows: rows.map((row) => [...row.children].filter(shown).length)};
}"""


# Has races/track_view.js draw the rows, from the queue as the API gives it (as a
# `queue.changed` event brings it); a marker row shows the old rows were replaced.
REDRAW_FROM_THE_API = """async () => {
  const body = document.getElementById("queue-body");
  body.insertAdjacentHTML("beforeend", '<tr class="redrawn-check"></tr>');
  const answer = await fetch(`/api/races/${document.getElementById("track-view").dataset.raceId}/queue/`);
  window.trackView.handle({type: "queue.changed", queue: (await answer.json()).queue});
}"""


def assert_headers_over_cells(page) -> None:
    columns = page.evaluate(SHOWN_COLUMNS)
    assert columns["rows"] and columns["rows"] == [columns["headers"]] * len(columns["rows"]), columns


@pytest.fixture
def track_day(alice, bob, charlie, tracks):
    from races.models import Participant
    from timing.models import RaceStaff

    race = make_in_person_race(alice, tracks)
    for user in (bob, charlie, make_user("erin", "ErinE", "FR")):
        Participant.objects.create(race=race, user=user)
    RaceStaff.objects.create(race=race, user=make_user("dave", "DaveTheTimekeeper", "GB"), role="timekeeper")
    return race


def test_the_organizer_edits_the_queue_and_the_timekeepers_chooser_follows(track_day, bob, charlie, new_page):
    tablet = new_page("dave")
    tablet.goto(f"/races/{track_day.pk}/timekeeper/")
    tablet.wait_for_selector("#link:has-text('Live')")
    tablet.wait_for_selector("#racer option", state="attached")  # filled from the desk's first state
    chooser = "els => els.map(e => e.textContent.trim())"
    assert tablet.locator("#racer option").evaluate_all(chooser) == ["BobTheRacer", "CharlieC", "ErinE"]
    assert tablet.locator("#edit-queue-link").count() == 0  # the timekeeper reads the queue only

    organizer = new_page("alice")
    organizer.goto(f"/races/{track_day.pk}/timekeeper/")
    organizer.click("#edit-queue-link")  # from the timekeeper page to the editor
    organizer.wait_for_selector("#edit-queue")
    organizer.wait_for_selector("#track-view[data-connected='1']")
    assert_headers_over_cells(organizer)  # rows from the template
    organizer.evaluate(REDRAW_FROM_THE_API)
    organizer.wait_for_selector("#queue-body tr.redrawn-check", state="detached")
    assert_headers_over_cells(organizer)  # rows from races/track_view.js
    organizer.click("#edit-queue")
    assert_headers_over_cells(organizer)  # the handles show, with their header
    organizer.drag_and_drop(f"tr[data-user-id='{charlie.pk}']", f"tr[data-user-id='{bob.pk}']",
                            target_position={"x": 20, "y": 2})
    organizer.locator("tr.queue-row", has_text="ErinE").locator(".remove-row").click()
    organizer.click("#save-queue")
    organizer.wait_for_selector("text=Queue saved.")
    organizer.wait_for_selector("#out-of-queue:has-text('ErinE')")  # out of the queue, not the race
    assert_headers_over_cells(organizer)

    tablet.wait_for_function(
        "() => Array.from(document.querySelectorAll('#racer option')).map(o => o.textContent).join() === 'CharlieC,BobTheRacer'")
    assert tablet.locator("#queue li").evaluate_all(chooser) == ["CharlieC", "BobTheRacer"]

    organizer.click("#out-of-queue button.put-back")  # Erin back, at the end
    organizer.wait_for_selector("text=Back in the queue.")
    tablet.wait_for_function("() => document.querySelectorAll('#racer option').length === 3")
    assert tablet.locator("#racer option").evaluate_all(chooser) == ["CharlieC", "BobTheRacer", "ErinE"]
