"""QR code cards a clerk prints and pins up: the code, and under it the deputy's or station's name
and code, so a wall of them can be told apart without a phone.

Names are Chinese, so the text needs a font with CJK glyphs; Debian ships several (`fonts-wqy-microhei`,
`fonts-noto-cjk`), none by default. `find_cjk_font` looks for one; without it a card still carries
its code (in Pillow's built-in Latin font) and the caller says once why the names are missing.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

# Looked for in this order: TrueType outlines first, which the PDF writer (fpdf2) embeds as well as
# Pillow draws them. The number is the face within a collection (.ttc): Noto's Simplified Chinese
# face is the third.
KNOWN_CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
)
PROBE = "人大代表联络站"
"""Characters a font must have to count as a CJK font here."""

NO_CJK_FONT = (
    "no font with Chinese characters found (on Debian: apt-get install fonts-wqy-microhei or "
    "fonts-noto-cjk; or pass --font FILE)"
)

BOX = 12  # pixels per QR module: a version-3 code (a t.me link) comes out 444 px, 3.8 cm at 300 dpi
BORDER = 4  # the quiet zone the QR standard asks for, in modules
NAME_PX = 40
CODE_PX = 30
MAX_NAME_LINES = 3


@dataclass(frozen=True)
class CjkFont:
    """A font file (and the face within a collection) that has Chinese glyphs."""

    path: Path
    index: int = 0

    def sized(self, pixels: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(self.path), pixels, index=self.index)


def _covers(path: Path, index: int, text: str) -> bool:
    """Whether the face has a glyph for every character of `text` (its cmap, not a rendering)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.suffix.lower() in {".ttc", ".otc"}:
            with TTCollection(str(path), lazy=True) as collection:
                cmap = collection.fonts[index].getBestCmap() or {}
        else:
            with TTFont(str(path), lazy=True) as font:
                cmap = font.getBestCmap() or {}
    except Exception:  # a damaged or foreign file is simply not a usable font
        return False
    return all(ord(char) in cmap for char in text)


def _fontconfig_candidates() -> list[tuple[str, int]]:
    """Fonts fontconfig says cover Chinese, for systems that keep them elsewhere."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "-f", "%{file}\t%{index}\n"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in sorted(listed.splitlines()):
        file, _, index = line.partition("\t")
        if file and index.isdigit():
            found.append((file, int(index)))
    return found


def find_cjk_font(
    explicit: Path | None = None, candidates: Iterable[tuple[str, int]] | None = None
) -> CjkFont | None:
    """The first usable CJK font: `explicit` (must be one), else the known Debian paths, else fontconfig.

    Raises:
        ValueError: `explicit` is not a font with Chinese characters.
    """
    if explicit is not None:
        if not explicit.is_file() or not _covers(explicit, 0, PROBE):
            raise ValueError(f"{explicit}: not a font file with Chinese characters")
        return CjkFont(explicit, 0)
    pool = list(candidates) if candidates is not None else [*KNOWN_CJK_FONTS, *_fontconfig_candidates()]
    for file, index in pool:
        path = Path(file)
        if path.is_file() and _covers(path, index, PROBE):
            return CjkFont(path, index)
    return None


@functools.lru_cache(maxsize=4096)
def qr_image(url: str) -> Image.Image:
    """The bare QR code of a link, black on white, with its quiet zone (cached: a deputy's code is
    drawn on their card and again on each station sheet they are on; do not draw on it)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=BOX, border=BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines no wider than `width`: broken at a space where there is one, else between characters
    (Chinese has no spaces); past MAX_NAME_LINES the last line ends with "…"."""
    lines: list[str] = []
    line = ""
    for char in text:
        if font.getlength(line + char) <= width or not line:
            line += char
            continue
        head, space, tail = line.rpartition(" ")
        if space and head:
            lines.append(head)
            line = tail + char
        else:
            lines.append(line)
            line = char.lstrip()
    if line:
        lines.append(line)
    if len(lines) > MAX_NAME_LINES:
        last = lines[MAX_NAME_LINES - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: MAX_NAME_LINES - 1], last + "…"]
    return lines


def labelled_card(url: str, name: str, code: str, font: CjkFont | None) -> Image.Image:
    """The QR code with the name (wrapped) and the code centred under it; without a CJK font only
    the code (and a name of Latin letters) is printed."""
    qr = qr_image(url)
    width = max(qr.width, 480)
    margin = BOX * BORDER
    name_font = font.sized(NAME_PX) if font is not None else ImageFont.load_default(NAME_PX)
    code_font = font.sized(CODE_PX) if font is not None else ImageFont.load_default(CODE_PX)
    printable = font is not None or name.isascii()
    lines = _wrap(name.strip(), name_font, width - 2 * margin) if printable and name.strip() else []
    line_height = int(NAME_PX * 1.3)
    height = qr.height + len(lines) * line_height + int(CODE_PX * 1.5) + margin
    card = Image.new("L", (width, height), 255)
    card.paste(qr, ((width - qr.width) // 2, 0))
    draw = ImageDraw.Draw(card)
    y = qr.height - margin // 2
    for line in lines:
        draw.text((width / 2, y), line, font=name_font, fill=0, anchor="ma")
        y += line_height
    draw.text((width / 2, y + CODE_PX * 0.2), code, font=code_font, fill=0, anchor="ma")
    return card
