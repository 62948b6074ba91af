"""The queue tables (COMING UP of an in-person race, the LIVE control panel's queue): each
header stands over its column. The drag handle's column is hidden until the organizer edits:
its header must be hidden with its cells (a hidden cell takes no column)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class QueueTable(HTMLParser):
    """The shown (not `hidden`) header cells and the shown cells of each queue row of #queue-table."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = self.in_head = False
        self.depth = 0
        self.headers: list[bool] = []  # per <th>: shown?
        self.rows: list[list[bool]] = []
        self.cell_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "queue-table":
            self.inside = True
        if not self.inside:
            return
        if tag == "table":
            self.depth += 1
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and "queue-row" in (attrs.get("class") or "").split():
            self.rows.append([])
        elif tag in ("th", "td") and self.depth == 1:
            shown = "hidden" not in attrs
            if tag == "th" and self.in_head:
                self.headers.append(shown)
            elif tag == "td" and self.rows:
                self.rows[-1].append(shown)

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.depth -= 1
            self.inside = self.depth > 0


def shown_columns(html: str) -> tuple[int, list[int]]:
    table = QueueTable()
    table.feed(html)
    assert table.headers and table.rows, "no queue table with rows on the page"
    return sum(table.headers), [sum(row) for row in table.rows]


@pytest.mark.parametrize("viewer", ["as_alice", "as_bob"])
def test_coming_up_on_an_in_person_race_page_has_a_header_over_each_cell(in_person_race, viewer, request):
    client = request.getfixturevalue(viewer)  # the organizer (with the editor) and a racer
    html = client.get(f"/races/{in_person_race.pk}/").content.decode()
    headers, rows = shown_columns(html)
    assert rows == [headers] * len(rows)


def test_the_live_panels_queue_has_a_header_over_each_cell(live_race, charlie_entered, as_alice):
    html = as_alice.get(f"/races/{live_race.pk}/").content.decode()
    headers, rows = shown_columns(html)
    assert len(rows) == 2 and rows == [headers] * len(rows)
