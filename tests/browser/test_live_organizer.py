"""In a real browser, what the organizer sees while a LIVE run goes: the Launch message names the
racer and goes when the run starts; the reminders to warn the next racers show above the track
map, in view without scrolling, when the run's time-left clock reads their time."""

from __future__ import annotations

import pytest

from races.live_control import REMINDERS_S

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}
CLOCK_AHEAD_S = 5  # an organizer's computer clock a few seconds ahead of the server's is common

# Every reading of the time-left clock, and every change of the reminder with the clock as it
# reads at that moment.
RECORD_REMINDERS = """
document.addEventListener("DOMContentLoaded", () => {
  window.reminderLog = [];
  window.clockLog = [];
  const clock = document.getElementById("time-remaining");
  new MutationObserver(() => window.clockLog.push(clock.textContent))
    .observe(clock, { childList: true, characterData: true, subtree: true });
  const reminder = document.getElementById("reminder");
  if (!reminder) return;
  new MutationObserver(() => {
    const box = reminder.getBoundingClientRect();
    window.reminderLog.push({
      text: reminder.hidden ? null : reminder.textContent,
      clock: document.getElementById("time-remaining").textContent,
      top: box.top, bottom: box.bottom, left: box.left, right: box.right, scrollY: window.scrollY,
    });
  }).observe(reminder, { attributes: true, childList: true, characterData: true, subtree: true });
});
"""


def organizer_ready(new_page, race):
    """The organizer's page with the simulator on and entries closed (the queue set)."""
    page = new_page("alice")
    page.set_viewport_size(VIEWPORT)
    page.goto(f"/races/{race.pk}/")
    page.click("#launch-simulator")
    page.wait_for_function("window.liveView && window.liveView.state.race"
                           " && window.liveView.state.race.sim_state === 'go'")
    page.click("#entries-toggle")
    page.wait_for_selector("#edit-queue")
    return page


def seconds(clock: str) -> int:
    minutes, secs = clock.split(":")
    return int(minutes) * 60 + int(secs)


def test_the_launch_message_names_the_racer_and_goes_when_the_run_starts(live_race, bob, charlie_entered, new_page):
    page = organizer_ready(new_page, live_race)
    page.locator(f"tr[data-user-id='{bob.pk}'] button.launch-racer").click()
    notice = page.locator(".messages li", has_text="Launching")
    notice.wait_for()
    assert notice.inner_text() == "Launching BobTheRacer (Steady)."
    page.wait_for_function("window.liveView && window.liveView.state.run && window.liveView.state.run.state === 'countdown'")
    assert notice.is_visible()  # during the countdown it still says what is going on
    page.wait_for_function("window.liveView && window.liveView.state.run && window.liveView.state.run.state === 'running'",
                           timeout=20_000)
    assert page.locator(".messages li", has_text="Launching").count() == 0
    assert page.locator("ul.messages:empty").count() == 0  # no empty box left behind


def test_the_reminders_show_over_the_track_map_in_step_with_the_clock(live_race, bob, charlie_entered, new_page, tmp_path):
    page = organizer_ready(new_page, live_race)
    page.add_init_script(f"Date.now = ((now) => () => now() + {CLOCK_AHEAD_S * 1000})(Date.now);")
    page.add_init_script(RECORD_REMINDERS)
    page.locator(f"tr[data-user-id='{bob.pk}'] button.launch-racer").click()
    page.wait_for_function("window.liveView && window.liveView.state.run")

    last = min(REMINDERS_S)  # the turn is 1 minute: the 2-minute reminder is due from the start
    page.wait_for_function(
        f"window.reminderLog.some((r) => r.text && r.text.startsWith('{last} seconds left'))",
        timeout=90_000)
    page.screenshot(path=str(tmp_path / "reminder.png"))
    log = page.evaluate("window.reminderLog")
    shown = [r for r in log if r.get("text")]
    first, final = shown[0], next(r for r in shown if r["text"].startswith(f"{last} seconds left"))
    assert first["text"] == f"{max(REMINDERS_S) // 60} minutes left: contact the next racers (CharlieC)."
    assert seconds(first["clock"]) <= max(REMINDERS_S)
    assert final["text"] == f"{last} seconds left: CharlieC is next — tell them to get ready."
    assert abs(seconds(final["clock"]) - last) <= 1, final
    for reminder in (first, final):  # in view at 1280x800 without scrolling
        assert reminder["scrollY"] == 0
        assert reminder["top"] >= 0 and reminder["bottom"] <= VIEWPORT["height"], reminder
        assert reminder["left"] >= 0 and reminder["right"] <= VIEWPORT["width"], reminder
    canvas = page.locator("#track-canvas").bounding_box()
    assert final["bottom"] <= canvas["y"] + 1  # above the track map, not over the car
    readings = [seconds(text) for text in page.evaluate("window.clockLog") if text != "--:--"]
    assert readings == sorted(readings, reverse=True)  # it counts down, never jumps back

    page.click("#stop-run")
    page.wait_for_selector("text=Run stopped.")
    page.wait_for_function("window.liveView && window.liveView.state.race && !window.liveView.state.run")
    assert page.locator("#reminder").is_hidden()
