"""The timekeeper page itself: readable status (WCAG AA contrast) on the dark theme."""

from __future__ import annotations

import re

from .conftest import ROOT

CSS = ROOT / "timing" / "static" / "timing" / "timekeeper.css"
APP_CSS = ROOT / "races" / "static" / "races" / "app.css"
AA = 4.5  # WCAG 2 AA for normal text


def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def declarations(css: str, selector: str) -> dict[str, str]:
    """The properties of every rule whose selector list is exactly `selector` (later rules win)."""
    found: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        if selector in [s.strip() for s in selectors.split(",")]:
            for prop, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body):
                found[prop] = value.strip()
    return found


def test_the_timer_status_chips_are_readable():
    css = CSS.read_text()
    page_text = re.search(r"--text:\s*(#[0-9a-fA-F]{3,6})", APP_CSS.read_text()).group(1)
    for state in ("up", "down"):
        rule = declarations(css, f"#timekeeper .timer.{state}")
        text = rule.get("color", page_text)  # without its own colour the chip inherits the page's
        assert contrast(text, rule["background"]) >= AA, f"timer {state}: {text} on {rule['background']}"


def test_the_error_line_is_readable_on_the_dark_panel():
    panel = re.search(r"--panel:\s*(#[0-9a-fA-F]{3,6})", APP_CSS.read_text()).group(1)
    colour = declarations(CSS.read_text(), "#timekeeper .error")["color"]
    assert contrast(colour, panel) >= AA
