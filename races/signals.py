"""What the record tells the apps above it, so that it never imports them.

`lap_committed` is sent once a lap's transaction holds and `run.lap` has gone out, with
`race_id`, `lap` (the stored Lap) and `publish(race_id, event)` (how the producer announces:
the live runner's publisher, or `protocol.send`). The leaderboard listens and announces
`leaderboard.changed` (leaderboard/apps.py).
"""

from django.dispatch import Signal

lap_committed = Signal()
