"""QR cards and station sheets (`liaison links`): each PNG decodes back to its link and has the name
and code printed under the code in a font with Chinese glyphs; the PDF has a page per station whose
text names the station and each of its deputies; without a CJK font the cards still carry their
codes and the command says why the names are missing."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import import_network
from bot.people import qr_cards
from bot.people.links import Link, station_sheets, write_links
from bot.people.qr_cards import NO_CJK_FONT, CjkFont, find_cjk_font, labelled_card, qr_image
from bot.people.station_sheets import Entry, StationSheet, write_station_sheets
from tests.test_network import EXAMPLE, SMALL, load

Maker = async_sessionmaker[AsyncSession]
URL = "https://t.me/liaison_bot?start=d_D0001"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def font() -> CjkFont:
    found = find_cjk_font()
    assert found is not None, NO_CJK_FONT  # scripts/test.sh installs fonts-wqy-microhei
    return found


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def under_the_code(card: Image.Image, url: str = URL) -> Image.Image:
    """The band below the QR code (its quiet zone excluded), where the name and code are printed."""
    qr_height = qr_image(url).height
    return card.crop((0, qr_height - qr_cards.BOX * qr_cards.BORDER // 2, card.width, card.height))


def ink(image: Image.Image) -> int:
    """Dark pixels: how much was drawn."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:128])


class TestCards:
    def test_a_card_decodes_to_its_link_with_name_and_code_under_it(self, font: CjkFont) -> None:
        card = labelled_card(URL, "和某某", "D0001", font)
        assert decoded(card) == [URL]
        qr = qr_image(URL)
        assert card.width >= qr.width and card.height > qr.height + qr_cards.NAME_PX + qr_cards.CODE_PX
        assert ink(under_the_code(card)) > 500
        assert ink(under_the_code(labelled_card(URL, "", "D0001", font))) < ink(under_the_code(card))

    def test_chinese_names_are_drawn_as_their_own_glyphs(self, font: CjkFont) -> None:
        """Two names of the same length look different: a font without the glyphs would draw the
        same empty boxes for both."""
        one = under_the_code(labelled_card(URL, "代表丁", "D0001", font))
        two = under_the_code(labelled_card(URL, "委员丙", "D0001", font))
        assert ImageChops.difference(one, two).getbbox() is not None

    def test_a_long_name_wraps_under_the_code_and_stays_scannable(self, font: CjkFont) -> None:
        name = "碧江县峦屏镇人大代表中心联络站" * 4
        card = labelled_card(URL, name, "LS-001", font)
        assert card.width == labelled_card(URL, "和某某", "D0001", font).width
        assert (
            card.height
            == qr_image(URL).height
            + qr_cards.MAX_NAME_LINES * int(qr_cards.NAME_PX * 1.3)
            + int(qr_cards.CODE_PX * 1.5)
            + qr_cards.BOX * qr_cards.BORDER
        )
        assert decoded(card) == [URL]

    def test_without_a_cjk_font_the_card_still_carries_its_code(self) -> None:
        card = labelled_card(URL, "和某某", "D0001", None)
        assert decoded(card) == [URL]
        assert ink(under_the_code(card)) > 100  # the code, in Pillow's built-in font

    def test_only_a_font_with_chinese_glyphs_is_taken(self, tmp_path: Path) -> None:
        assert find_cjk_font(candidates=[(str(tmp_path / "none.ttf"), 0), (DEJAVU, 0)]) is None
        with pytest.raises(ValueError, match="not a font file with Chinese characters"):
            find_cjk_font(Path(DEJAVU))

    def test_a_code_with_a_slash_gets_a_file_name(self, tmp_path: Path, font: CjkFont) -> None:
        write_links([Link("station", "LS/01", "联络站", "https://t.me/b?start=s_x")], tmp_path, font)
        assert (tmp_path / "station-LS_01.png").is_file()


def example_sheets() -> list[StationSheet]:
    """The example's stations by code, each with its deputies by code, read from the file itself."""
    data = load(EXAMPLE)
    return [
        StationSheet(
            Entry(s["code"], s["name"], f"https://t.me/liaison_bot?start=s_{s['code']}"),
            [
                Entry(d["code"], d["name"], f"https://t.me/liaison_bot?start=d_{d['code']}")
                for d in sorted(data["deputies"], key=lambda d: d["code"])
                if s["code"] in d.get("stations", [])
            ],
        )
        for s in sorted(data["stations"], key=lambda s: s["code"])
    ]


class TestStationSheets:
    async def test_each_station_comes_with_its_deputies(self, sessionmaker: Maker) -> None:
        await import_network(sessionmaker, EXAMPLE)
        assert await station_sheets(sessionmaker, "@liaison_bot") == example_sheets()

    def test_one_page_per_station_naming_it_and_its_deputies(self, tmp_path: Path, font: CjkFont) -> None:
        """The example's first 60 stations by code (its 5 homes with the most deputies, 8, then
        township and village stations, some with none): the whole 328 take ~15 s on a busy machine."""
        sheets = example_sheets()[:60]
        assert {len(sheet.deputies) for sheet in sheets} >= {0, 1, 8}
        pages = write_station_sheets(sheets, tmp_path / "stations.pdf", font)
        reader = PdfReader(tmp_path / "stations.pdf")
        assert pages == len(reader.pages) == len(sheets)
        for index, sheet in enumerate(sheets):
            text = reader.pages[index].extract_text()
            assert sheet.station.name in text and sheet.station.code in text
            for deputy in sheet.deputies:
                assert deputy.code in text and deputy.name in text

    def test_a_station_too_large_for_a_page_continues_on_the_next(
        self, tmp_path: Path, font: CjkFont
    ) -> None:
        deputies = [Entry(f"D{i:03d}", f"代表{i}", f"https://t.me/b?start=d_D{i:03d}") for i in range(120)]
        sheets = [
            StationSheet(Entry("H1", "甲县人大代表之家", "https://t.me/b?start=s_H1"), deputies),
            StationSheet(Entry("V1", "丙村联络站", "https://t.me/b?start=s_V1"), []),
        ]
        pages = write_station_sheets(sheets, tmp_path / "big.pdf", font)
        reader = PdfReader(tmp_path / "big.pdf")
        assert pages == len(reader.pages) > 2
        text = "".join(page.extract_text() for page in reader.pages[:-1])
        assert all(d.code in text for d in deputies)
        assert "丙村联络站" in reader.pages[-1].extract_text()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_links_cli_writes_labelled_cards_and_a_station_pdf(tmp_path: Path, font: CjkFont) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'links.db'}"}
    assert _cli(env, "network", "import", str(SMALL)).returncode == 0
    out = tmp_path / "qr"
    done = _cli(env, "links", "--out", str(out), "--bot-username", "@liaison_bot", "--pdf")
    assert done.returncode == 0, done.stderr
    assert "3 station sheets (3 pages)" in done.stdout
    assert "fontTools" not in done.stderr and "http" not in done.stderr  # no glyph dump, no links logged
    with (out / "links.csv").open(encoding="utf-8") as fh:
        rows = {r["code"]: r for r in csv.DictReader(fh)}
    with Image.open(out / rows["D1"]["qr"]) as card:
        assert decoded(card) == ["https://t.me/liaison_bot?start=d_D1"]
        assert card.height > card.width and ink(under_the_code(card, rows["D1"]["url"])) > 500
    reader = PdfReader(out / "stations.pdf")
    assert len(reader.pages) == 3
    village = reader.pages[2].extract_text()  # V1: 丙村人大代表联络站 with D1 and D2
    assert all(word in village for word in ("丙村人大代表联络站", "V1", "代表丁", "D1", "代表戊", "D2"))


def test_links_without_a_cjk_font_writes_codes_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A machine without Chinese fonts: cards with codes only, a clear message, and no PDF."""
    from bot.runtime import cli

    database = tmp_path / "nofont.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setattr(qr_cards, "KNOWN_CJK_FONTS", ((DEJAVU, 0),))
    monkeypatch.setattr(qr_cards, "_fontconfig_candidates", list)

    def run(*argv: str) -> int:  # the subcommand alone: main() would set up this process's logging
        args = cli.parser().parse_args(argv)
        return int(args.func(args))

    assert run("network", "import", str(SMALL)) == 0
    out = tmp_path / "qr"
    assert run("links", "--out", str(out), "--bot-username", "b", "--pdf") == 1
    err = capsys.readouterr().err
    assert "no font with Chinese characters found" in err and "fonts-wqy-microhei" in err
    assert "no station sheets (PDF) written" in err
    assert not (out / "stations.pdf").exists()
    with Image.open(out / "deputy-D1.png") as card:
        assert decoded(card) == ["https://t.me/b?start=d_D1"]
        assert ink(under_the_code(card, "https://t.me/b?start=d_D1")) > 100
