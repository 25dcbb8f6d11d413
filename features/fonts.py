"""The bundled DejaVu Sans fonts registered with reportlab: every Vietnamese diacritic in a PDF.

The font files ship with the web pages (``api/web/static/fonts``, with their licence); this
module registers them without importing the web layer, so that PDF writers outside it (the
event schedules of :mod:`matching.events.pdf`) need neither FastAPI nor a copy of the fonts.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONT_FOLDER", "register_dejavu"]

FONT_FOLDER = Path(__file__).resolve().parents[1] / "api" / "web" / "static" / "fonts"


def register_dejavu() -> tuple[str, str]:
    """Register DejaVu Sans and DejaVu Sans Bold with reportlab (once) and return their names.

    Examples
    --------
    >>> register_dejavu()
    ('DejaVuSans', 'DejaVuSans-Bold')
    """
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = ("DejaVuSans", "DejaVuSans-Bold")
    registered = pdfmetrics.getRegisteredFontNames()
    for name in names:
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_FOLDER / f"{name}.ttf")))
    # <b> in a Paragraph switches to the bold face of the family.
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    addMapping("DejaVuSans", 0, 1, "DejaVuSans")
    addMapping("DejaVuSans", 1, 1, "DejaVuSans-Bold")
    return names
