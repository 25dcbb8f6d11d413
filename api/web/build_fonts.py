"""Build the bundled Japanese and Korean fonts from the Fontsource npm packages (run by hand).

The pages and the PDF exports quote Japanese and Korean terms (プレス加工, ダイカスト, 프레스);
a machine without a CJK font shows them as boxes. This tool copies what the product ships into
``api/web/static/fonts/noto-cjk`` and writes ``api/web/static/cjk-fonts.css``:

* the woff2 ``unicode-range`` slices of Noto Sans JP (every numbered slice with kana, kanji or
  CJK punctuation) and of Noto Sans KR (only the slices that hold hangul: the kanji come from
  Noto Sans JP, which comes first in ``app.css``), weights 400 and 700, with one ``@font-face``
  rule per slice, its unicode-range cut to the CJK blocks, so that a browser loads only the
  slices a page needs and draws Latin and Vietnamese with the system fonts;
* ``NotoSansCJK-PDF.ttf``: one TrueType font for reportlab (which reads neither woff2 nor CFF)
  merged from the 400 slices, with kana, the JIS X 0208 kanji, the KS X 1001 hangul syllables,
  the compatibility jamo and the CJK punctuation and full-width forms (other characters keep
  reportlab's CID fonts, see :func:`features.fonts.markup`);
* the fonts' licence (SIL Open Font License 1.1) as ``OFL.txt`` and where they came from.

Usage (needs ``fonttools`` and ``brotli``, which the product itself does not)::

    npm pack @fontsource/noto-sans-jp@5.3.0 @fontsource/noto-sans-kr@5.3.0
    mkdir jp kr && tar xzf fontsource-noto-sans-jp-5.3.0.tgz -C jp && tar xzf fontsource-noto-sans-kr-5.3.0.tgz -C kr
    python -m api.web.build_fonts jp/package kr/package
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
from pathlib import Path

__all__ = ["WEIGHTS", "build"]

WEIGHTS = (400, 700)
_STATIC = Path(__file__).parent / "static"
_OUT = _STATIC / "fonts" / "noto-cjk"
_CSS = _STATIC / "cjk-fonts.css"
_PDF_FONT = "NotoSansCJK-PDF.ttf"
_FACE = re.compile(r"src: url\(\./files/(?P<file>[^)]+?\.woff2)\).*?unicode-range: (?P<range>[^;]+);", re.S)


def _ranges(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        first, _, last = part.strip()[2:].partition("-")
        out.append((int(first, 16), int(last or first, 16)))
    return out


# Kana, CJK punctuation, kanji, hangul and jamo, full-width forms, enclosed ideographs, the
# supplementary ideograph planes. A slice's Latin, digits, arrows... are left out of its
# unicode-range: the faces come first in app.css (Chromium draws a character an installed font
# in front of a web font lacks as that font's box, never falling through), so they must claim
# only what the system fonts do not have.
_CJK_BLOCKS = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
               (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1F200, 0x1F2FF), (0x20000, 0x3FFFF))  # fmt: skip


def _cjk_only(ranges: list[tuple[int, int]]) -> str:
    """The parts of ``ranges`` inside the CJK blocks, as a CSS unicode-range ("" if none)."""
    parts = []
    for first, last in ranges:
        for low, high in _CJK_BLOCKS:
            start, end = max(first, low), min(last, high)
            if start <= end:
                parts.append(f"U+{start:x}" if start == end else f"U+{start:x}-{end:x}")
    return ",".join(parts)


def _has_hangul(ranges: list[tuple[int, int]]) -> bool:
    return any(first <= 0xD7AF and last >= 0xAC00 for first, last in ranges)


def _slices(package: Path, weight: int, hangul_only: bool) -> list[tuple[str, str]]:
    """(file, unicode-range) of the numbered slices of ``package``'s ``weight``."""
    faces = []
    for match in _FACE.finditer((package / f"{weight}.css").read_text(encoding="utf-8")):
        if not re.search(r"-\d+-\d00-normal\.woff2$", match["file"]):  # latin, cyrillic...: system fonts
            continue
        ranges = _ranges(match["range"])
        if (hangul_only and not _has_hangul(ranges)) or not _cjk_only(ranges):
            continue
        faces.append((match["file"], _cjk_only(ranges)))
    return faces


def _pdf_characters() -> set[int]:
    """Kana, JIS X 0208 kanji, KS X 1001 hangul, jamo, CJK punctuation and full-width forms."""
    wanted = set(range(0x3000, 0x3100)) | set(range(0x3130, 0x3190)) | set(range(0xFF00, 0xFFF0))
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("iso2022_jp")
            wanted.add(code)
        except UnicodeEncodeError:
            pass
    for code in range(0xAC00, 0xD7A4):
        if len(chr(code).encode("euc_kr")) == 2:  # KS X 1001 (Python spells the others in 8 bytes)
            wanted.add(code)
    return wanted


def _merge_for_pdf(paths: list[Path], target: Path) -> int:
    """One TrueType font from slices of one family: the glyphs of the wanted characters."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    wanted = _pdf_characters()
    order, cmap, glyphs, metrics = [".notdef"], {}, {".notdef": Glyph()}, {".notdef": (500, 0)}
    first = None
    for index, path in enumerate(paths):
        font = TTFont(str(path))
        first = first or font
        glyf, hmtx = font["glyf"], font["hmtx"]
        todo = [name for code, name in font.getBestCmap().items() if code in wanted and code not in cmap]
        for code, name in font.getBestCmap().items():
            if code in wanted and code not in cmap:
                cmap[code] = f"s{index}.{name}"
        while todo:  # the glyphs and the components they are built from
            name = todo.pop()
            new = f"s{index}.{name}"
            if new in glyphs:
                continue
            glyph = copy.deepcopy(glyf[name])
            glyph.removeHinting()  # each slice's hinting programs differ; the PDF needs outlines only
            if glyph.isComposite():
                for component in glyph.components:
                    todo.append(component.glyphName)
                    component.glyphName = f"s{index}.{component.glyphName}"
            glyphs[new] = glyph
            metrics[new] = hmtx[name]
            order.append(new)
    # A space, so that a run such as "プレス 加工" stays in one font (the slices have none; Noto's is 224 units).
    order.append("space")
    cmap[0x20], glyphs["space"], metrics["space"] = "space", Glyph(), (224, 0)
    builder = FontBuilder(first["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    hhea = first["hhea"]
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    builder.setupNameTable({
        "familyName": "Noto Sans CJK PDF",
        "styleName": "Regular",
        "psName": "NotoSansCJK-PDF",
        "copyright": first["name"].getDebugName(0) or "",
        "licenseDescription": "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "licenseInfoURL": "https://openfontlicense.org",
        "description": "Noto Sans JP and Noto Sans KR 400 (Fontsource 5.3.0), merged for PDF exports",
    })  # fmt: skip
    os2 = first["OS/2"]
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent, fsType=0)  # fmt: skip
    builder.setupPost()
    builder.save(str(target))
    return len(cmap)


def build(jp_package: Path, kr_package: Path) -> None:
    """Write the slices, the stylesheet, the PDF font and the licence (see the module's docstring)."""
    if _OUT.exists():
        shutil.rmtree(_OUT)
    _OUT.mkdir(parents=True)
    rules = ["/* Generated by api/web/build_fonts.py from @fontsource/noto-sans-jp and -kr 5.3.0 (SIL OFL 1.1,",
             "   fonts/noto-cjk/OFL.txt): one rule per unicode-range slice, so a page loads only what it shows. */"]  # fmt: skip
    pdf_slices = []
    for family, package, hangul_only in (("Noto Sans JP", jp_package, False), ("Noto Sans KR", kr_package, True)):
        for weight in WEIGHTS:
            for file, unicode_range in _slices(package, weight, hangul_only):
                shutil.copyfile(package / "files" / file, _OUT / file)
                if weight == 400:
                    pdf_slices.append(package / "files" / file)
                rules.append(f"@font-face{{font-family:'{family}';font-style:normal;font-weight:{weight};"
                             f"font-display:swap;src:url(fonts/noto-cjk/{file}) format('woff2');"
                             f"unicode-range:{unicode_range}}}")  # fmt: skip
    _CSS.write_text("\n".join(rules) + "\n", encoding="utf-8")
    characters = _merge_for_pdf(pdf_slices, _OUT / _PDF_FONT)
    shutil.copyfile(jp_package / "LICENSE", _OUT / "OFL.txt")
    (_OUT / "SOURCE.txt").write_text(
        "Noto Sans JP and Noto Sans KR (Google, from Adobe's Source Han Sans), SIL Open Font License 1.1 (OFL.txt).\n"
        "The woff2 files are unchanged copies from the npm packages @fontsource/noto-sans-jp 5.3.0 and\n"
        "@fontsource/noto-sans-kr 5.3.0 (weights 400 and 700; Noto Sans KR: only its slices with hangul).\n"
        f"{_PDF_FONT} is a modified version (OFL section 'Modified Version'): the 400 slices merged into one\n"
        f"TrueType font of {characters} characters (kana, JIS X 0208 kanji, KS X 1001 hangul, CJK punctuation),\n"
        "hinting removed, renamed 'Noto Sans CJK PDF'. Rebuild with: python -m api.web.build_fonts JP_PACKAGE KR_PACKAGE\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jp_package", type=Path, help="the unpacked @fontsource/noto-sans-jp (its package/ folder)")
    parser.add_argument("kr_package", type=Path, help="the unpacked @fontsource/noto-sans-kr (its package/ folder)")
    arguments = parser.parse_args()
    build(arguments.jp_package, arguments.kr_package)
