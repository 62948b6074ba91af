"""In a real browser: a student opens a student race's invitation link, asks for a sign-in link
with only an e-mail address, follows the link from the e-mail the server wrote, chooses an
alias and joins; the organizer's racer list shows the alias and no e-mail address."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

from races.models import Participant

from ..races.helpers import make_race

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser tests' server has no mail server: it writes each message under var/sent-mail/.
MAIL_DIR = Path(__file__).resolve().parents[2] / "var" / "sent-mail"


def sign_in_link_for(address: str, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in MAIL_DIR.glob("*.log") if MAIL_DIR.exists() else []:
            text = message.read_text()
            if f"To: {address}" in text:
                return re.search(r"https?://\S+/join/\S+", text).group(0)
        time.sleep(0.1)
    raise AssertionError(f"no sign-in mail to {address} under {MAIL_DIR}")


def test_a_student_joins_with_an_email_link(alice, tracks, new_page):
    # the student set is the console's Easy catalog tracks: a short built-in one is flagged in
    student_track = tracks.filter(closed=True, difficulty=1).order_by("-popularity").first()
    tracks.filter(pk=student_track.pk).update(student=True)
    race = make_race(alice, student_track, name="Robotics Club Cup", flavour="student")
    address = f"student-{uuid.uuid4().hex[:8]}@school.example"

    page = new_page()
    page.goto(f"/join/{race.invite_token}/")
    page.fill("input[name=email]", address)
    page.click("#send-link")
    assert "Check your e-mail" in page.locator("h1").inner_text()

    page.goto(sign_in_link_for(address))
    page.click("#sign-in")
    page.wait_for_url("**/profile/**")
    page.fill("input[name=alias]", "RoboRookie")
    page.select_option("select[name=country]", "NZ")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"**/join/{race.invite_token}/")
    page.click("#join-race")
    page.wait_for_url(f"**/races/{race.pk}/")
    assert Participant.objects.filter(race=race, user__email=address).exists()

    organizer = new_page("alice")
    organizer.goto(f"/races/{race.pk}/racers/")
    roster = organizer.locator("table").inner_text()
    assert "RoboRookie" in roster and address not in roster
