"""What the record tells the apps above it, so that it never imports them.

`lap_committed` is sent once a lap's transaction holds and `run.lap` has gone out, with
`race_id`, `lap` (the stored Lap) and `publish(race_id, event)` (how the producer announces:
the live runner's publisher, or `protocol.send`). The leaderboard listens and announces
`leaderboard.changed` (leaderboard/apps.py).

`queue_changed` is sent once a change to a race's queue holds (the organizer's edit, a racer
joining or removed) and `queue.changed` has gone out, with `race_id`. The timekeeper's desk
listens (timing/apps.py): its racer chooser and COMING UP follow the queue.

`laps_saved` is sent inside the transaction that saved several laps of one run in one insert
(`record.record_laps`: an evaluation's trials), with `run` and `laps`: no `post_save` goes out
per lap then, so the leaderboard updates the racer's standing once, in that transaction. Each
lap's `lap_committed` follows with `more=True` but the last's (`more` absent or False: nothing
else of that commit follows), so the board is announced once.
"""

from django.dispatch import Signal

lap_committed = Signal()
queue_changed = Signal()
laps_saved = Signal()
