"""The count badge ("signatures | 12,345"), drawn as SVG like the badges READMEs are used to."""

from __future__ import annotations

from flask import render_template

# Approximate advance widths of Verdana at 11 px. The SVG fixes each text's length to the
# estimate (textLength), so a font with other widths still fits its box.
NARROW = set("fijlrt.,:;!|'ı ") | {"\u00a0", "\u202f"}
WIDE = set("mwMW@%")
PADDING = 6


def text_width(text: str) -> int:
    """Estimated width in pixels of ``text`` in Verdana 11 px."""
    width = 0.0
    for ch in text:
        if ch in NARROW:
            width += 3.9
        elif ch in WIDE:
            width += 10.5
        elif ch.isupper() or ch.isdigit():
            width += 7.4
        else:
            width += 6.6
    return round(width)


def render(*, label: str, value: str, title: str) -> str:
    label_text, value_text = text_width(label), text_width(value)
    label_width, value_width = label_text + 2 * PADDING, value_text + 2 * PADDING
    return render_template(
        "embed/badge.svg",
        label=label,
        value=value,
        title=title,
        label_text=label_text,
        value_text=value_text,
        label_width=label_width,
        value_width=value_width,
        width=label_width + value_width,
    )
