"""Two race wizards in one session (two browser tabs): each keeps its own draft.

The tests follow the redirects rather than build the wizard's addresses, so they check the
behaviour whatever the addresses look like."""

from __future__ import annotations

from races.models import Race

from .helpers import form_data
from .test_wizard import NEW, split


def start(client, step1: dict) -> str:
    """Post step 1 of a new wizard; returns the step 2 address it leads to."""
    response = client.post(NEW, step1)
    assert response.status_code == 302, response.context and response.context["form"].errors
    return response["Location"]


def test_two_interleaved_wizards_keep_their_own_name_and_track(as_alice, alice, student_track, tracks):
    other_track = tracks.filter(closed=True).exclude(pk=student_track.pk).first()
    tab1 = form_data(student_track, name="Tab One Cup")
    tab2 = form_data(other_track, name="Tab Two Cup")
    step2_of_1 = start(as_alice, split(tab1)[0])
    step2_of_2 = start(as_alice, split(tab2)[0])

    review_of_1 = as_alice.post(step2_of_1, split(tab1)[1])["Location"]
    review_of_2 = as_alice.post(step2_of_2, split(tab2)[1])["Location"]

    page1 = as_alice.get(review_of_1).content.decode()
    page2 = as_alice.get(review_of_2).content.decode()
    for page, mine, theirs in ((page1, tab1, tab2), (page2, tab2, tab1)):
        assert mine["name"] in page and theirs["name"] not in page
    assert student_track.name in page1 and other_track.name not in page1
    assert other_track.name in page2 and student_track.name not in page2

    assert as_alice.post(review_of_1, {}).status_code == 302
    assert as_alice.post(review_of_2, {}).status_code == 302
    races = {race.name: race.track for race in Race.objects.filter(organizer=alice)}
    assert races == {"Tab One Cup": student_track, "Tab Two Cup": other_track}


def test_submitting_one_wizard_leaves_the_other_draft(as_alice, student_track):
    step2_of_1 = start(as_alice, split(form_data(student_track, name="First Draft"))[0])
    step2_of_2 = start(as_alice, split(form_data(student_track, name="Second Draft"))[0])
    review_of_1 = as_alice.post(step2_of_1, split(form_data(student_track))[1])["Location"]
    as_alice.post(review_of_1, {})
    details_of_2 = step2_of_2.replace("/2/", "/1/")
    page = as_alice.get(details_of_2)
    assert page.status_code == 200 and page.context["form"]["name"].value() == "Second Draft"
    assert [race.name for race in Race.objects.all()] == ["First Draft"]
