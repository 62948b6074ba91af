"""Watch a race's events from synchronous test code.

The race events travel on the default channel layer, which in pass 2 is Redis pub/sub: a
subscription lives on the event loop that made it, so a test cannot `group_add` in one
`async_to_sync` call and `receive` in the next. `RaceEvents` keeps one loop on a thread of its
own, subscribed to the race's group for as long as the `with` block lasts."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable

from channels.layers import get_channel_layer

from races import protocol


class RaceEvents:
    def __init__(self, race_id) -> None:
        self.group = protocol.race_group(race_id)
        self.received: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        self._ready = threading.Event()
        self._stopping = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True, name="test-race-events")

    def __enter__(self) -> RaceEvents:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the event watcher did not join the race group")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc) -> None:
        self._stopping = True
        self._thread.join(5)

    def _main(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:  # reported by __enter__ or the next wait
            self._error = exc
            self._ready.set()

    async def _watch(self) -> None:
        # The process's own layer: the in-memory one is shared state; the Redis ones keep
        # their connections (and pub/sub subscriptions) per event loop.
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(self.group, channel)
        self._ready.set()
        # One receive kept pending across the checks of `_stopping`, never cancelled: cancelling
        # a pub/sub receive unsubscribes the channel (channels_redis cleans up, taking the
        # cancel for a consumer's exit), and an event that came before it subscribed again was
        # lost — a quiet second (a countdown's Go) was enough to miss a `run.state`.
        pending: asyncio.Future | None = None
        try:
            while not self._stopping:
                if pending is None:
                    pending = asyncio.ensure_future(layer.receive(channel))
                done, _ = await asyncio.wait({pending}, timeout=0.2)
                if done:
                    self.received.put(pending.result())
                    pending = None
        finally:
            if pending is not None:
                pending.cancel()
            await layer.group_discard(self.group, channel)

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10) -> dict:
        """The next event (in order) that satisfies `predicate`; others are kept in `seen`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                kinds = [m.get("type") for m in self.seen[-10:]]
                other = [m for m in self.seen if m.get("type") != "run.frame"][-5:]
                raise AssertionError(f"no matching event in {timeout} s (last seen: {kinds}; "
                                     f"the last others: {other})")
            try:
                message = self.received.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self._error is not None:
                    raise self._error from None
                continue
            self.seen.append(message)
            if predicate(message):
                return message

    def next(self, timeout: float = 10) -> dict:
        return self.wait_for(lambda m: True, timeout)
