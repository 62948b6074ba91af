"""In a real browser: import two published leaderboards into a season (with the file's preview),
then read the season's standings by both rules, search, sort, expand a racer and print."""

from __future__ import annotations

import pytest

from leaderboard.season_models import Season
from tests.leaderboard.test_season_api import BOARD, SECOND

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def import_file(page, tmp_path, name: str, text: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    page.goto("/leaderboards/import/")
    page.set_input_files("input[name=file]", str(path))
    # the preview shows how each column is read before anything is uploaded
    page.wait_for_selector("#preview:not([hidden])")
    assert "ranks the race (TOTAL_TIME)" in page.locator(
        "#column-mapping tr[data-column=TotalLapTime]").inner_text()
    assert page.locator("#preview-rows tr").count() == 4  # the header and three racers
    page.select_option("select[name=race_type]", "TIME_TRIAL")
    page.select_option("select[name=timing_method]", "TOTAL_TIME")
    page.fill("input[name=min_laps]", "3")
    page.fill("input[name=name]", name)
    page.fill("input[name=season]", "Summer")
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/results/")
    assert page.locator("#imported-mark").is_visible()


def test_a_season_from_import_to_print(alice, new_page, tmp_path):
    page = new_page("alice")
    import_file(page, tmp_path, "June", BOARD)
    import_file(page, tmp_path, "July", SECOND)
    season = Season.objects.get(name="Summer")

    page.goto("/seasons/")
    page.click("text=Summer")
    page.wait_for_url(f"**/seasons/{season.pk}/")
    names = page.locator("#standings tbody tr").evaluate_all("rows => rows.map(r => r.dataset.racer)")
    assert names == ["ann", "bea"]  # 19 points each, same finishes: by name
    assert "Ties:" in page.locator("#tie-rule").inner_text()

    # each racer's row opens to their races
    page.locator("tr[data-racer=bea] summary").click()
    races = page.locator("tr[data-racer=bea] .racer-races").inner_text()
    assert "June: place 2 (9)" in races and "July: place 1 (10)" in races

    # the community rule, one region, a search and a sort are each a link of the table
    page.select_option("select[name=rule]", "community")
    page.select_option("select[name=region]", "DE")
    page.click("#standings-filter button[type=submit]")
    page.wait_for_url("**rule=community**")
    rows = page.locator("#standings tbody tr")
    assert rows.count() == 1 and "-126000" in rows.first.inner_text()  # ann: -(60000 + 66000)
    page.goto(f"/seasons/{season.pk}/?rule=points&q=bea")
    assert page.locator("#standings tbody tr").count() == 1
    page.goto(f"/seasons/{season.pk}/?rule=points")
    page.click("#standings thead >> text=July")
    page.wait_for_url("**sort=race-1**")
    first = page.locator("#standings tbody tr").first.get_attribute("data-racer")
    assert first == "bea"

    page.click("#print-link")
    page.wait_for_url("**/print/**")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert page.locator("#podium .step").count() == 2
    pdf = page.pdf()  # Chromium's own print: what a "Save as PDF" gives
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
