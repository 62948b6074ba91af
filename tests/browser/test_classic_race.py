"""In a real browser, a Classic race end to end: a racer uploads a model, enters it from the race
page, watches its status go queued → evaluating (the progress bar moving, without a reload) →
done, opens its results, plays and scrubs the replay (*Watch*) and downloads the evaluation logs;
a second racer enters from *Your models*, and both have results. The server is a real daphne in
embedded mode: the evaluations run on its own job thread, slowed to a watchable pace."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time

import pytest
from django.conf import settings

from races.garage import reference_model
from races.models import Participant
from races.run_models import Run
from tests.browser.conftest import ROOT
from tests.races.model_packages import package
from tests.services import start_daphne

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def classic_server(django_db_setup, django_db_blocker):
    """A server of its own: evaluations sleep 30 ms per simulator step so that a person (and
    this test) can watch one progress."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db['NAME']}", "DEBUG": "1", "JOBS": "thread",
           "RACESERVER_NO_BOOTSTRAP": "1", "PYTHONUNBUFFERED": "1", "EVALUATION_STEP_DELAY_S": "0.03"}
    env.pop("REDIS_URL", None)
    log = open(ROOT / "var" / "browser-classic-server.log", "w")  # noqa: SIM115 - closed below
    proc, port = start_daphne(env, log)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def open_page(chromium, classic_server):
    contexts = []

    def open_as(username: str):
        context = chromium.new_context(base_url=classic_server, accept_downloads=True,
                                       viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "pw-" + username)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def watch_status(page, timeout: float = 120.0) -> tuple[list[str], list[float]]:
    """The status texts and progress bar values the racer saw, until done or failed."""
    texts, values = [], []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = page.evaluate("""() => {
            const row = document.querySelector('#submission-rows tr');
            const bar = row && row.querySelector('progress');
            return [row ? row.dataset.state : '', row ? row.querySelector('.status').innerText : '',
                    bar ? bar.value : null];
        }""")
        state, text, value = seen
        if text and (not texts or texts[-1] != text):
            texts.append(text)
        if value is not None and (not values or values[-1] != value):
            values.append(value)
        if state in ("done", "failed"):
            return texts, values
        time.sleep(0.05)
    raise AssertionError(f"the submission did not end in {timeout:.0f} s: {texts[-5:]}")


def test_two_racers_enter_watch_and_download(race, joined, bob, charlie, open_page, tmp_path):
    race.max_resets = 0  # a trial ends at the first off-track: a quick race for an untrained model
    race.save()
    page = open_page("bob")

    # Upload a model to the garage.
    model_file = tmp_path / "first-model.tar.gz"
    model_file.write_bytes(package())
    page.goto("/models/")
    page.fill("input[name=name]", "First Try")
    page.set_input_files("input[name=file]", str(model_file))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("text=First Try is in your garage and ready to race.")

    # Enter the race from its page: the request returns at once, the status follows live.
    page.goto(f"/races/{race.pk}/")
    assert page.locator("#enter-button").inner_text() == "Enter race"
    page.select_option("#entry-model", label="First Try")
    page.click("#enter-button")
    page.wait_for_selector("text=First Try is entered in Alice Cup")
    loaded_at = page.evaluate("performance.timeOrigin")
    texts, values = watch_status(page)
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload: the socket told it all
    assert any(t.startswith("Evaluating: trial 1 of 3") for t in texts), texts
    assert any(t.startswith("Evaluating: trial 3 of 3") for t in texts), texts
    assert texts[-1] == "Done", texts
    assert len(values) >= 3 and values == sorted(values), values  # the bar moved, forward only
    assert page.locator("#enter-button").inner_text() == "Race again"
    # the message shown after entering followed the submission: it no longer says "queued"
    flash = page.locator("ul.messages li").inner_text()
    assert flash.startswith("First Try is entered in Alice Cup: its evaluation is done"), flash
    page.screenshot(path=str(tmp_path / "race-page.png"), full_page=True)
    run = Run.objects.get(racer=bob)
    assert run.state == "finished"

    # Results: each trial, the replay with play / pause and a scrubber, the logs.
    page.click("#submission-rows a:text('Results')")
    page.wait_for_url(f"**/races/{race.pk}/submissions/{run.pk}/")
    assert page.locator("#results tr.trial").count() == 3
    first_trial = page.locator("#results tr.trial").first.inner_text()
    assert "Off track" in first_trial and "%" in first_trial
    page.wait_for_selector("#watch[data-frames]")
    frames = int(page.get_attribute("#watch", "data-frames"))
    assert frames > 10
    page.click("#watch-play")
    page.wait_for_function("Number(document.getElementById('watch-scrubber').value) > 3")
    page.click("#watch-play")  # pause
    paused_at = page.input_value("#watch-scrubber")
    time.sleep(0.3)
    assert page.input_value("#watch-scrubber") == paused_at
    page.evaluate("""(n) => { const s = document.getElementById('watch-scrubber');
                      s.value = String(n); s.dispatchEvent(new Event('input')); }""", frames - 1)
    assert page.locator("#watch-info").inner_text().startswith("Trial 3")
    page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

    with page.expect_download() as got:
        page.click("#download-trace")
    trace = got.value.path().read_text()
    assert got.value.suggested_filename == f"sim-trace-{run.pk}.csv"
    assert next(csv.reader(io.StringIO(trace)))[:4] == ["episode", "steps", "X", "Y"]
    with page.expect_download() as got:
        page.click("#download-metrics")
    metrics = json.loads(got.value.path().read_text())
    assert [m["trial"] for m in metrics["metrics"]] == [1, 2, 3]

    # A second racer enters from Your models, with a driver that finishes its laps.
    Participant.objects.create(race=race, user=charlie)
    reference_model(charlie, "Brisk", temperament="brisk")
    other = open_page("charlie")
    other.goto("/models/")
    other.select_option("form.enter-model select[name=race]", label="Alice Cup")
    other.click("form.enter-model button[type=submit]")
    other.wait_for_url(f"**/races/{race.pk}/")
    time.sleep(1.5)  # into its evaluation (the server's simulator is compiled by now)
    other.screenshot(path=str(tmp_path / "evaluating.png"), full_page=True)
    texts, _ = watch_status(other)
    assert texts[-1] == "Done", texts
    theirs = Run.objects.get(racer=charlie)
    assert theirs.state == "finished"
    other.goto(f"/races/{race.pk}/submissions/{theirs.pk}/")
    assert other.locator("#results tr.trial").count() == 3
    assert other.locator("#results tr.trial").first.inner_text().count("Lap complete") == 1
    # each racer downloads only their own logs
    assert other.request.get(f"/races/{race.pk}/submissions/{run.pk}/metrics.json").status == 403


# The page's sockets wait until the test lets them connect (window.__openSockets()): as if the
# page had rendered just before a result and its socket joined just after.
HOLD_SOCKETS = """(() => {
  const Real = window.WebSocket, held = [];
  let open = false;
  window.__openSockets = () => { open = true; held.splice(0).forEach((start) => start()); };
  window.WebSocket = function (url, protocols) {
    if (open) return new Real(url, protocols);
    const proxy = { send() {}, close() {} };
    held.push(() => {
      const real = new Real(url, protocols);
      for (const k of ["onopen", "onmessage", "onclose", "onerror"]) real[k] = (e) => proxy[k] && proxy[k](e);
      proxy.send = (data) => real.send(data);
      proxy.close = (...args) => real.close(...args);
    });
    return proxy;
  };
})();"""


def test_a_page_whose_socket_joins_after_its_own_result_shows_the_row(race, joined, bob, open_page):
    """The result's `leaderboard.changed` went out before the page's socket joined: the board
    is made current from the snapshot the socket gets on connect, without a reload; the
    message shown after entering says the evaluation is done."""
    reference_model(bob, "Brisk", temperament="brisk")
    page = open_page("bob")
    page.add_init_script(HOLD_SOCKETS)
    page.goto(f"/races/{race.pk}/")
    page.select_option("#entry-model", label="Brisk")
    page.click("#enter-button")
    page.wait_for_selector("text=Brisk is entered in Alice Cup")
    assert page.locator("#board-rows tr.me").count() == 0  # rendered before the result
    deadline = time.monotonic() + 120
    while not Run.objects.filter(racer=bob, state__in=["finished", "failed"]).exists():
        assert time.monotonic() < deadline, "the evaluation did not end"
        time.sleep(0.2)
    assert Run.objects.get(racer=bob).state == "finished"
    loaded_at = page.evaluate("performance.timeOrigin")
    page.evaluate("window.__openSockets()")
    page.wait_for_selector("#board-rows tr.me", timeout=5_000)
    assert "BobTheRacer" in page.locator("#board-rows tr.me").inner_text()
    page.wait_for_selector("#board-me-rank:text('1')", timeout=5_000)
    page.wait_for_selector("#submission-rows tr[data-state=done]", timeout=5_000)
    flash = page.locator("ul.messages li").inner_text()
    assert flash == "Brisk is entered in Alice Cup: its evaluation is done: see its results below.", flash
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload
