"""The bundled fonts registered with reportlab: Vietnamese diacritics, Japanese and Korean in a PDF.

The font files ship with the web pages (``api/web/static/fonts``, with their licences); this
module registers them without importing the web layer, so that PDF writers outside it (the
event schedules of :mod:`matching.events.pdf`) need neither FastAPI nor a copy of the fonts.
DejaVu Sans has every Vietnamese diacritic but no kana, hangul or Chinese character; those come
from ``noto-cjk/NotoSansCJK-PDF.ttf`` (Noto Sans JP and KR merged by ``api.web.build_fonts``),
embedded in the PDF like DejaVu, so a reader without an Asian font pack shows them too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["FONT_FOLDER", "CJK_FONT", "register_dejavu", "register_cjk"]

FONT_FOLDER = Path(__file__).resolve().parents[1] / "api" / "web" / "static" / "fonts"
CJK_FONT = "NotoSansCJK-PDF"


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


@cache
def register_cjk() -> frozenset[int]:
    """Register the bundled Noto Sans CJK PDF font as :data:`CJK_FONT` (once); its code points.

    The font has kana, the JIS X 0208 kanji, the KS X 1001 hangul syllables and the CJK
    punctuation (some 9,300 characters; weight 400 only: ``<b>`` maps to the same face).

    Returns
    -------
    frozenset of int
        The code points the font draws; a writer puts other CJK characters in another font.

    Examples
    --------
    >>> ord("加") in register_cjk() and ord("프") in register_cjk()
    True
    """
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(CJK_FONT, str(FONT_FOLDER / "noto-cjk" / f"{CJK_FONT}.ttf"))
    pdfmetrics.registerFont(font)
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(CJK_FONT, bold, italic, CJK_FONT)
    return frozenset(font.face.charToGlyph)
