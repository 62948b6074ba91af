"""In a real browser: the organizer closes entries, reorders the queue and launches; the racer
sees the countdown, speeds up with the arrow keys and the streamed speed follows; the lap
reaches the leaderboard; Declare winner shows the winner to everyone; after a reload the racer
replays the run from its saved trace."""

from __future__ import annotations

import pytest

from races.models import RunTrace

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_live_turn_from_launch_to_winner(live_race, bob, charlie, charlie_entered, new_page, tmp_path):
    url = f"/races/{live_race.pk}/"
    organizer = new_page("alice")
    organizer.goto(url)
    organizer.click("#launch-simulator")
    organizer.wait_for_function("window.liveView && window.liveView.state.race && window.liveView.state.race.sim_state === 'go'",
                                timeout=10_000)
    organizer.click("#entries-toggle")  # submits: entries closed, queue built
    organizer.wait_for_selector("#edit-queue")
    assert [int(r) for r in organizer.locator("#queue-body tr").evaluate_all(
        "rows => rows.map(r => r.dataset.userId)")] == [bob.pk, charlie.pk]

    organizer.click("#edit-queue")
    organizer.drag_and_drop(f"tr[data-user-id='{charlie.pk}']", f"tr[data-user-id='{bob.pk}']",
                            target_position={"x": 20, "y": 2})
    organizer.click("#save-queue")
    organizer.wait_for_selector("text=Queue saved.")
    live_race.refresh_from_db()
    assert live_race.queue_order == [charlie.pk, bob.pk]

    racer = new_page("charlie")
    racer.goto(url)
    watcher = new_page("bob")
    watcher.goto(url)
    racer.wait_for_function("window.liveView && window.liveView.state.connected")
    assert racer.locator("#speed-slider").is_hidden() or racer.locator("#speed-slider").is_disabled()

    organizer.locator(f"tr[data-user-id='{charlie.pk}'] button.launch-racer").click()
    organizer.wait_for_selector("text=Launching CharlieC (Brisk).")
    racer.wait_for_selector("#countdown:not([hidden])", timeout=5_000)
    countdown = racer.locator("#countdown").inner_text()
    assert countdown.strip() and countdown.strip() != "GO!"

    slider = racer.locator("#speed-slider")
    slider.wait_for(state="visible", timeout=20_000)
    racer.wait_for_function("!document.querySelector('#speed-slider').disabled", timeout=20_000)
    assert watcher.locator("#speed-slider").is_hidden() or watcher.locator("#speed-slider").is_disabled()
    slider.focus()
    for _ in range(4):
        racer.keyboard.press("ArrowRight")
    racer.wait_for_function(
        "window.liveView.lastFrame && Math.abs(window.liveView.lastFrame.multiplier - 1.2) < 1e-6",
        timeout=5_000)
    assert racer.locator("#speed-value").inner_text().startswith("1.20")
    racer.screenshot(path=str(tmp_path / "racer.png"))

    racer.wait_for_selector("#leaderboard-rows >> text=CharlieC", timeout=45_000)
    watcher.wait_for_selector("#leaderboard-rows >> text=CharlieC", timeout=5_000)
    lap = live_race.runs.get().laps.first()
    assert lap is not None and lap.time_ms > 0

    organizer.click("#stop-run")
    organizer.wait_for_selector("text=Run stopped.")
    organizer.click("#declare-winner")
    organizer.wait_for_selector("text=CharlieC wins!")
    for page in (racer, watcher):
        page.wait_for_selector("#winner-banner:not([hidden])", timeout=5_000)
        assert "CharlieC" in page.locator("#winner-banner").inner_text()
    watcher.screenshot(path=str(tmp_path / "winner.png"))

    # after a reload the racer still has the replay of the run: the server kept its trace
    racer.reload()
    replay = racer.locator("#replay-button")
    replay.wait_for(state="visible", timeout=10_000)
    replay.click()
    racer.wait_for_function("document.querySelector('#replay-button').textContent.includes('Stop replay')",
                            timeout=5_000)
    trace = RunTrace.objects.get(run=live_race.runs.get())
    assert racer.evaluate("window.liveView.frames.length") == trace.frame_count > 15
    assert watcher.locator("#replay-button").is_hidden()  # the replay button is the racer's
