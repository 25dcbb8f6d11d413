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

__all__ = ["FONT_FOLDER", "CJK_FONT", "CID_FONTS", "register_dejavu", "register_cjk", "markup"]

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


# Japanese and Korean: the bundled Noto Sans CJK PDF font, embedded (register_cjk:
# kana, JIS X 0208 kanji, KS X 1001 hangul). A rarer character falls back to reportlab's built-in
# CID fonts (Adobe's Asian font packs: the PDF names them, the reader supplies the glyphs).
CID_FONTS = {"ja": "HeiseiKakuGo-W5", "ko": "HYGothic-Medium"}


def _cjk_script(char: str) -> str | None:
    """"ko" for hangul, "ja" for kana and Chinese characters (and CJK punctuation), else None."""
    code = ord(char)
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "ko"
    if (0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF or 0x31F0 <= code <= 0x31FF
            or 0x20000 <= code <= 0x3134F):  # fmt: skip - extensions B-G (𠮷 of 𠮷野家)
        return "han"
    return None


def _register_cid(lang: str) -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    name = CID_FONTS[lang]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        for bold in (0, 1):  # <b> around a run: the same face (the packs have no bold)
            for italic in (0, 1):
                addMapping(name, bold, italic, name)
    return name


def markup(text: object) -> str:
    """``text`` as reportlab Paragraph markup: escaped, runs of Japanese or Korean in a CJK font.

    The one rule of every PDF the product writes (shortlists, event schedules).

    A character the bundled font draws goes in it (:data:`CJK_FONT`, embedded);
    a rarer one in reportlab's CID font of its language: Chinese characters go with Korean in a
    text that has hangul and no kana, else Japanese (the firms' and buyers' own words are
    Japanese far more often).

    >>> markup("ISO 9001 <ok>")
    'ISO 9001 &lt;ok&gt;'
    >>> markup("ép nhựa 射出成形")
    'ép nhựa <font name="NotoSansCJK-PDF">射出成形</font>'
    """
    from xml.sax.saxutils import escape

    text = "" if text is None else str(text)
    scripts = [_cjk_script(c) for c in text]
    if not any(scripts):
        return escape(text)
    bundled = register_cjk()
    korean = "ko" in scripts and not any(0x3040 <= ord(c) <= 0x30FF for c in text)
    out: list[str] = []
    run: list[str] = []
    current: str | None = None
    for char, script in zip(text, scripts, strict=True):
        font = None
        if script is not None:
            font = CJK_FONT if ord(char) in bundled else _register_cid("ko" if script == "ko" or korean else "ja")
        if char == " " and current is not None:  # a space inside a CJK run stays in it
            font = current
        if font != current and run:
            out.append(_run("".join(run), current))
            run = []
        current = font
        run.append(char)
    if run:
        out.append(_run("".join(run), current))
    return "".join(out)


def _run(text: str, font: str | None) -> str:
    from xml.sax.saxutils import escape

    return escape(text) if font is None else f'<font name="{font}">{escape(text)}</font>'
