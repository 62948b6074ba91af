"""Add to calendar: the race as an RFC 5545 file, for those who may see it."""

from __future__ import annotations

from icalendar import Calendar


def test_the_ics_holds_one_event_from_start_to_close(race, joined, as_bob):
    response = as_bob.get(f"/races/{race.pk}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == race.start_at.replace(microsecond=0)
    assert event.decoded("DTEND") == race.end_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Alice Cup (Classic race)"
    assert str(event["UID"]).startswith(str(race.pk))
    assert str(event["URL"]).endswith(f"/races/{race.pk}/")
    assert b"\r\n" in response.content  # the line ends RFC 5545 asks for


def test_strangers_get_404(race, as_mallory):
    assert as_mallory.get(f"/races/{race.pk}/calendar.ics").status_code == 404
