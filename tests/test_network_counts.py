"""`liaison network show`: every figure has one name and one definition, the definitions hold on the
example network (counted again here from the file itself), the terminal gets a table rather than
Python dicts, and the README states each figure with what it counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import DEFINITIONS, import_network, network_counts, render_counts
from bot.network.counts import count_rows
from tests.test_network import EXAMPLE, ROOT, SMALL, load

Maker = async_sessionmaker[AsyncSession]


@pytest.fixture
async def example_counts(sessionmaker: Maker) -> dict[str, Any]:
    await import_network(sessionmaker, EXAMPLE)
    return await network_counts(sessionmaker)


async def test_each_figure_has_one_name_and_one_definition(example_counts: dict[str, Any]) -> None:
    keys = [key for key, _ in count_rows(example_counts)]
    assert len(keys) == len(set(keys))
    assert keys == list(DEFINITIONS)  # every figure defined, every definition printed, in one order
    leaves = [key.rsplit(".", 1)[-1] for key in keys]
    assert "committee_members" not in leaves  # the name that meant 37 in one place and 27 in another


async def test_the_definitions_hold_on_the_example(example_counts: dict[str, Any]) -> None:
    """Each figure counted again from the file, by its definition's words."""
    data = load(EXAMPLE)
    deputies = {d["code"]: d for d in data["deputies"]}
    constituents = {c["code"] for c in data["constituents"]}
    standing = {code for code, d in deputies.items() if "committee_member" in d.get("roles", [])}
    presidium = {code for code, d in deputies.items() if "presidium" in d.get("roles", [])}
    seated = {member for c in data["committees"] for member in c.get("members", [])}
    with_constituents = {
        row["from"] for row in data["contacts"] if row["from"] in deputies and set(row["to"]) & constituents
    }
    assert example_counts["deputies"]["total"] == len(deputies) == 291
    assert example_counts["standing_committee_members"] == len(standing) == 37
    assert example_counts["presidium_members"] == len(presidium) == 7 and presidium <= standing
    assert example_counts["special_committees"] == len(data["committees"]) == 9
    assert example_counts["special_committee_members"] == len(seated) == 27
    assert example_counts["deputies"]["contacting_constituents"] == len(with_constituents) == 254
    assert example_counts["deputy_groups"] == len(data["groups"])
    assert example_counts["constituents"] == len(constituents)
    assert example_counts["units"] == len(data["units"]) == 14
    officers = {code for u in data["units"] for code in u.get("officers", [])}
    assert example_counts["unit_officers"] == len(officers) == 2  # the demo's two, named by the file
    assert example_counts["sessions"] == len(data["sessions"]) == 6


async def test_readme_says_what_each_number_counts(example_counts: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    c = example_counts
    for phrase in [
        f"{c['deputies']['total']} deputies",
        f"{c['deputies']['contacting_constituents']} contact constituents",
        f"{c['standing_committee_members']} standing committee members",
        f"{c['presidium_members']} presidium members",
        f"{c['special_committees']} special committees",
        f"{c['special_committee_members']} special committee members",
        f"{c['stations']['total']} stations",
        f"{c['contact_links']['total']:,} contact links",
        f"{c['units']} handling units",
        f"{c['unit_officers']} unit officers",
        f"{c['sessions']} sessions of the congress",
    ]:
        assert phrase in readme.replace("**", ""), phrase
    assert "254 deputies" not in readme


def test_the_table_aligns_every_figure_with_its_definition() -> None:
    counts: dict[str, Any] = {
        "stations": {"home": 1, "township": 2, "village": 3, "professional": 0, "total": 6},
        "deputies": {
            "by_level": {"county": 1200, "township": 4},
            "total": 1204,
            "contacting_constituents": 9,
        },
        "presidium_members": 7,
        "contact_links": {"deputy_constituent": 5, "total": 5},
    }
    lines = render_counts(counts).splitlines()
    assert lines[0].split() == ["figure", "count", "what", "it", "counts"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split(maxsplit=2) == ["stations", "6", DEFINITIONS["stations"]]
    county = next(line for line in lines if line.strip().startswith("county"))
    assert county.startswith("  county") and "1,200" in county and DEFINITIONS["deputies.county"] in county
    number_column = {
        line.index(DEFINITIONS[key])
        for key, _ in count_rows(counts)
        for line in lines[2:]
        if line.endswith(DEFINITIONS[key])
    }
    assert len(number_column) == 1  # definitions start in one column


def test_network_show_prints_a_table_and_json_on_request(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'show.db'}"}

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.runtime.cli", "network", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("import", str(SMALL))
    table = cli("show")
    assert "{'" not in table and "}" not in table  # no Python dicts
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("figure"))  # after any banner
    end = lines.index("", start)  # the sessions calendar follows the figures after a blank line
    rows = {line.split()[0]: line.split()[1] for line in lines[start + 2 : end]}
    assert rows["sessions"] == "2" and DEFINITIONS["sessions"] in table
    calendar = [line.split() for line in lines[end + 1 :]]
    assert calendar[0][0] == "sessions" and calendar[1] == ["session", "opens", "closes", "days", "name"]
    assert calendar[2:] == [
        ["17-3", "2026-01-12", "2026-01-15", "4", "第十七届人民代表大会第三次会议"],
        ["17-4", "2027-01-11", "2027-01-14", "4", "第十七届人民代表大会第四次会议"],
    ]
    assert rows["deputies"] == "5" and rows["standing_committee_members"] == "3"
    assert rows["units"] == "3" and rows["unit_officers"] == "0"
    assert DEFINITIONS["units"] in table and DEFINITIONS["unit_officers"] in table
    assert rows["presidium_members"] == "2" and rows["contacting_constituents"] == "1"
    assert DEFINITIONS["standing_committee_members"] in table
    as_json = json.loads(cli("show", "--json"))
    assert as_json["standing_committee_members"] == 3 and as_json["deputies"]["total"] == 5
    assert as_json["sessions"] == 2 and as_json["calendar"][0] == {
        "code": "17-3",
        "name": "第十七届人民代表大会第三次会议",
        "opens": "2026-01-12",
        "closes": "2026-01-15",
    }
