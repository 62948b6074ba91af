from django.apps import AppConfig


class TimingConfig(AppConfig):
    name = "timing"

    def ready(self) -> None:
        # The organizer edits an in-person race's queue on the race page (races.live_control):
        # every timekeeper screen gets the new order for its racer chooser and COMING UP.
        from races.signals import queue_changed

        from .desk import on_queue_changed

        queue_changed.connect(on_queue_changed, dispatch_uid="timing.queue_changed")
        # A race's staff see the race they work (pages, board, websockets): one rule, races.access's.
        from races import access

        from .roles import staff_among

        access.register_viewers(staff_among)
