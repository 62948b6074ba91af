"""broadcast 0004: the Broadcast page's own commentator list becomes race staff
(RaceStaff(role="commentator")) before the list is dropped, and going back restores the list.
Run with Django's MigrationExecutor on the test database, then forward to the latest state again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)
BROADCAST_BEFORE = ("broadcast", "0003_obs_record_detail")
AFTER = [("broadcast", "0004_commentators_are_race_staff")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # the applied set changed since the last executor
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def before() -> list[tuple[str, str]]:
    """broadcast before 0004, timing as it is (its tables in the state, nothing of it undone)."""
    return [BROADCAST_BEFORE, *(node for node in latest() if node[0] == "timing")]


def test_the_broadcast_pages_commentators_become_race_staff_and_back(alice, bob, charlie, tracks):
    apps = migrate(before())
    try:
        Race = apps.get_model("races", "Race")
        now = timezone.now()
        race = Race.objects.create(organizer_id=alice.pk, name="Cup", track_id=tracks.first().pk,
                                   start_at=now, end_at=now + timedelta(hours=1), format="live")
        settings = apps.get_model("broadcast", "BroadcastSettings").objects.create(race_id=race.pk)
        settings.commentators.add(bob.pk, charlie.pk)
        # charlie is already staff (invited on the Trackside setup): copied once, not twice
        apps.get_model("timing", "RaceStaff").objects.create(race_id=race.pk, user_id=charlie.pk, role="commentator")

        apps = migrate(AFTER)
        staff = apps.get_model("timing", "RaceStaff").objects.filter(race_id=race.pk)
        assert sorted(staff.values_list("user_id", "role")) == [(bob.pk, "commentator"), (charlie.pk, "commentator")]

        apps = migrate(before())
        settings = apps.get_model("broadcast", "BroadcastSettings").objects.get(race_id=race.pk)
        assert set(settings.commentators.values_list("pk", flat=True)) == {bob.pk, charlie.pk}
    finally:
        migrate(latest())
