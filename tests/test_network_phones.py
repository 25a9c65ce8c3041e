"""Phone numbers in the network file: stored in E.164 (Chinese numbers written without +86 get it),
and a number that cannot be called, like `12345`, refuses the whole file with its section and row
named, in each of the three shapes staff keep the file in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import NetworkFileError, export_network, import_network, normalise_phone
from bot.network.schema import _CN_MOBILE, _in_mobile_ranges
from storage.models import Person
from storage.unit_of_work import UnitOfWork
from tests.test_network import SMALL, load, write_csv_folder, write_workbook
from tests.test_network_members import write

Maker = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138-0000-0001", "+8613800000001"),
        ("13800000001", "+8613800000001"),  # a bare mobile: +86 added
        ("8613800000001", "+8613800000001"),  # 86 without the plus
        ("0086 138 0000 0001", "+8613800000001"),
        ("0886-3622222", "+868863622222"),  # a landline with its area code
        ("(010) 1234 5678", "+861012345678"),
        ("+44 7911 123456", "+447911123456"),  # another country's number keeps its code
    ],
)
def test_phones_are_stored_in_e164(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "1380000001", "+8612345678901", "138000000011", "+86", "电话"])
def test_numbers_no_one_can_call_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(typed)


def test_a_shared_telegram_contact_is_read_as_international() -> None:
    """Telegram sends a contact's number without the plus: `447911123456` is British, not Chinese."""
    assert normalise_phone("8613900000002", international=True) == "+8613900000002"
    assert normalise_phone("447911123456", international=True) == "+447911123456"
    with pytest.raises(ValueError):
        normalise_phone("447911123456")  # in a file, bare digits are a Chinese number: this is none


def test_e164_mobiles_are_judged_as_libphonenumber_judges_them() -> None:
    """The quick test of `+86 1xx…` numbers (#25) accepts exactly what `is_valid_number` does: every
    four-digit prefix the pattern lets through, with low, middle and high endings."""
    for prefix in range(1300, 2000):
        for ending in ("0000000", "4567890", "9999999"):
            text = f"+86{prefix}{ending}"
            if not _CN_MOBILE.fullmatch(text):
                continue
            valid = phonenumbers.is_valid_number(phonenumbers.parse(text))
            assert _in_mobile_ranges(text[3:]) is valid, text
            if valid:
                assert normalise_phone(text) == text
            else:
                with pytest.raises(ValueError):
                    normalise_phone(text)


async def _people(sessionmaker: Maker) -> int:
    async with UnitOfWork(sessionmaker) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)


def _with_phones(bad: str) -> dict[str, Any]:
    data = load(SMALL)
    data["deputies"][4]["phone"] = "138 0000 0002"  # good, normalised
    data["constituents"][1]["phone"] = bad  # constituents[1] is C2
    return data


@pytest.mark.parametrize(
    ("shape", "label"),
    [
        ("yaml", "constituents[1] (C2)"),
        ("csv", "constituents[1] (C2, sheet row 3)"),
        ("xlsx", "constituents[1] (C2, sheet row 3)"),
    ],
)
async def test_a_bad_phone_refuses_the_file_naming_section_and_row(
    sessionmaker: Maker, tmp_path: Path, shape: str, label: str
) -> None:
    data = _with_phones("12345")
    source = {
        "yaml": lambda: write(tmp_path, data),
        "csv": lambda: write_csv_folder(data, tmp_path / "sheets"),
        "xlsx": lambda: write_workbook(data, tmp_path / "n.xlsx"),
    }[shape]()
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, source)
    assert caught.value.problems == [f"{label}: phone: " + _refusal("12345")]
    assert await _people(sessionmaker) == 0  # all or nothing: the good rows were not written either


def _refusal(value: str) -> str:
    try:
        normalise_phone(value)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{value!r} was accepted")


async def test_sheet_rows_count_blank_lines(sessionmaker: Maker, tmp_path: Path) -> None:
    """A blank line in a sheet is skipped, so the label names the sheet row, not just the index."""
    data = _with_phones("12345")
    folder = write_csv_folder(data, tmp_path / "sheets")
    sheet = folder / "constituents.csv"
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    sheet.write_text("\n".join([lines[0], ",,,", *lines[1:]]) + "\n", encoding="utf-8-sig")
    with pytest.raises(NetworkFileError) as caught:
        await import_network(sessionmaker, folder)
    assert caught.value.problems[0].startswith("constituents[1] (C2, sheet row 4): phone: not a valid")


@pytest.mark.parametrize("shape", ["yaml", "xlsx"])
async def test_good_phones_are_imported_normalised(sessionmaker: Maker, tmp_path: Path, shape: str) -> None:
    data = _with_phones("0886-3622222")
    if shape == "xlsx":
        data["constituents"][0]["phone"] = 13900000001  # Excel keeps a typed mobile as a number
    source = write(tmp_path, data) if shape == "yaml" else write_workbook(data, tmp_path / "n.xlsx")
    await import_network(sessionmaker, source)
    exported = await export_network(sessionmaker)
    phones = {row["code"]: row.get("phone") for row in [*exported["deputies"], *exported["constituents"]]}
    assert phones["D2"] == "+8613800000002"
    assert phones["C1"] == "+8613900000001"
    assert phones["C2"] == "+868863622222"
