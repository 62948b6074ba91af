"""The timekeeper pages' channel-layer group: named here, apart from the desk, so timing.roles
(which broadcast imports) can reach the open timekeeper sockets without importing the desk and
the record path behind it."""

from __future__ import annotations


def timekeeper_group(race_id) -> str:
    return f"timekeeper.{race_id}"
