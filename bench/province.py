"""A generated province's contact network, written as a folder of CSV sheets (`liaison network import`).

The product notes describe one prefecture; a province runs the same work at forty times that. This
writes one, seeded and invented (no real place or person), at any size: by default 12,000 stations
(14 prefecture homes, 130 county homes under them, 1,400 townships, 10,456 villages), 100,000 deputies
of all five levels (98 presidium, 2,098 committee members), 135 special committees (the province's and
each prefecture's nine), 242 deputy groups (one per county and per prefecture, seven professional ones
per prefecture), 1,000,000 constituents and about 500,000 contact links; the units and sessions of the
example network. `--scale 0.01` is the same province at 1%.

    .venv/bin/python bench/province.py OUT_FOLDER [--scale 1.0] [--seed 1]

`generate()` returns the `Province` counts it wrote, so a test can check an import against the
generator's own figures rather than against the importer's.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CATEGORIES = (
    "urban_construction",
    "transport",
    "education",
    "health",
    "social_security",
    "environment",
    "agriculture",
    "disputes",
    "other",
)
COMMITTEE_NAMES = (
    ("URBAN", "城乡建设工作委员会"),
    ("TRANS", "交通运输工作委员会"),
    ("EDU", "教育科学文化工作委员会"),
    ("HEALTH", "卫生健康工作委员会"),
    ("SOCIAL", "社会建设委员会"),
    ("ENV", "环境与资源保护委员会"),
    ("AGRI", "农业农村委员会"),
    ("LAW", "监察和司法委员会"),
    ("WORK", "代表工作委员会"),
)
PROFESSIONAL_FIELDS = CATEGORIES[:7]  # seven professional groups per prefecture
FIELD_NAMES = ("城乡建设", "交通运输", "教育", "医疗卫生", "社会保障", "生态环保", "农业农村")
SURNAMES = "和李王杨赵张段余普罗施董字木鲁密熊胡杜尹左陶沙麻蔡祝邓欧阳"
GIVEN = "春秋文明建国丽芳华英光荣志强永学金玉桂兰德福海涛琼艳松林云山雪梅青红晓宇佳辉平安秀珍"
PLACE = "岚雾碧霁澄苍翠杉桐榕檀沅澜漪峦岫蓉槐棠枫江岭屏川溪坪湾原泉源岗坝沟峰林谷塘"

# The full-size province; every count is multiplied by --scale (at least one of each).
FULL = {
    "prefectures": 14,
    "counties": 130,
    "townships": 1_400,
    "villages": 10_456,
    "deputies": 100_000,
    "presidium": 98,
    "committee_members": 2_098,
    "constituents": 1_000_000,
}
# Shares of the deputies by level (the rest are township deputies), as a province's five levels run.
LEVEL_SHARES = (("national", 0.001), ("provincial", 0.007), ("prefecture", 0.056), ("county", 0.306))
CONSTITUENT_LINKS_PER_DEPUTY = 5  # each county and township deputy keeps in touch with five constituents
DEPUTY_LINKS_PER_MEMBER = 10  # each committee member with ten grassroots deputies
COMMITTEE_LINKS = 30  # each special committee with thirty deputies of its field, in its prefecture


@dataclass
class Province:
    """What `generate` wrote: the sizes asked for and the rows written, per section and kind."""

    sizes: dict[str, int]
    stations: Counter[str] = field(default_factory=Counter)  # by kind
    deputies: Counter[str] = field(default_factory=Counter)  # by level
    presidium: int = 0
    committee_members: int = 0
    committees: int = 0
    committee_seats: int = 0
    groups: int = 0
    memberships: int = 0
    deputy_stations: int = 0
    constituents: int = 0
    links: int = 0  # contact links (one per source → target)
    heads: int = 0
    units: int = 0
    sessions: int = 0
    bytes: int = 0

    def summary(self) -> str:
        return (
            f"stations {sum(self.stations.values()):,} {dict(self.stations)}; deputies "
            f"{sum(self.deputies.values()):,} {dict(self.deputies)} (presidium {self.presidium}, committee "
            f"members {self.committee_members:,}); committees {self.committees} ({self.committee_seats} "
            f"seats); groups {self.groups} ({self.memberships:,} memberships); constituents "
            f"{self.constituents:,}; contact links {self.links:,}; {self.bytes / 1e6:.1f} MB of CSV"
        )


def sizes_for(scale: float) -> dict[str, int]:
    """The full province's counts times `scale`, each at least one (two prefecture-level homes' worth
    of townships need at least one county to hang from)."""
    out = {name: max(1, round(count * scale)) for name, count in FULL.items()}
    out["counties"] = max(out["counties"], out["prefectures"])
    out["townships"] = max(out["townships"], out["counties"])
    out["villages"] = max(out["villages"], out["townships"])
    out["committee_members"] = min(max(out["committee_members"], out["presidium"] + 1), out["deputies"] // 4)
    out["presidium"] = min(out["presidium"], out["committee_members"] - 1)
    return out


def spread(total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` as evenly as possible, larger shares first."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def _owners(counts: list[int]) -> Iterator[int]:
    """0,0,…,1,1,…: the index of the bucket each item belongs to."""
    for index, count in enumerate(counts):
        yield from [index] * count


class _Sheet:
    """One CSV sheet, written row by row (a province does not fit in lists of dicts)."""

    def __init__(self, folder: Path, name: str, columns: list[str]) -> None:
        self.path = folder / f"{name}.csv"
        self.handle = self.path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(columns)

    def row(self, *cells: Any) -> None:
        self.writer.writerow(["" if c is None else c for c in cells])

    def close(self) -> int:
        self.handle.close()
        return self.path.stat().st_size


def _example_constants() -> Any:
    """The example network's units, sessions and officers (scripts/make_example_network.py)."""
    spec = importlib.util.spec_from_file_location(
        "make_example_network", ROOT / "scripts" / "make_example_network.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    spec.loader.exec_module(module)
    return module


def generate(folder: Path, scale: float = 1.0, seed: int = 1) -> Province:
    """Write the province's sheets into `folder` (created; existing sheets replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sizes = sizes_for(scale)
    out = Province(sizes=sizes)

    def person() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def place() -> str:
        return rng.choice(PLACE) + rng.choice(PLACE)

    def point(lat: float, lon: float, radius: float) -> tuple[float, float]:
        return round(lat + rng.uniform(-radius, radius), 5), round(lon + rng.uniform(-radius, radius), 5)

    # -- stations: prefecture homes → county homes → townships → villages ----------------------------
    stations = _Sheet(folder, "stations", ["code", "name", "kind", "parent", "latitude", "longitude", "head"])
    prefectures = [f"PH{p + 1:02d}" for p in range(sizes["prefectures"])]
    counties = [f"CH{c + 1:03d}" for c in range(sizes["counties"])]
    townships = [f"T{t + 1:04d}" for t in range(sizes["townships"])]
    villages = [f"V{v + 1:05d}" for v in range(sizes["villages"])]
    county_prefecture = list(_owners(spread(len(counties), len(prefectures))))
    township_county = list(_owners(spread(len(townships), len(counties))))
    village_township = list(_owners(spread(len(villages), len(townships))))
    where: dict[str, tuple[float, float]] = {}
    for code in prefectures:
        where[code] = point(25.0, 101.0, 3.0)
    for c, code in enumerate(counties):
        where[code] = point(*where[prefectures[county_prefecture[c]]], 0.5)
    for t, code in enumerate(townships):
        where[code] = point(*where[counties[township_county[t]]], 0.15)
    for v, code in enumerate(villages):
        where[code] = point(*where[townships[village_township[v]]], 0.05)

    # -- deputies: levels, stations, roles -----------------------------------------------------------
    total = sizes["deputies"]
    level_counts = [max(1, round(total * share)) for _, share in LEVEL_SHARES]
    level_counts.append(max(1, total - sum(level_counts)))
    levels = [name for name, _ in LEVEL_SHARES] + ["township"]
    deputy_level = [levels[i] for i in _owners(level_counts)][:total]
    deputy_codes = [f"D{d + 1:06d}" for d in range(len(deputy_level))]
    deputy_stations: list[list[str]] = []
    deputy_prefecture: list[int] = []
    deputy_county: list[int] = []
    county_townships: dict[int, list[int]] = {}
    for t, c in enumerate(township_county):
        county_townships.setdefault(c, []).append(t)
    for level in deputy_level:
        if level in ("national", "provincial", "prefecture"):
            c = rng.randrange(len(counties))
            t = rng.choice(county_townships[c])
            chosen = [counties[c], townships[t]] if level == "prefecture" else [counties[c]]
        else:
            v = rng.randrange(len(villages))
            t = village_township[v]
            c = township_county[t]
            chosen = [villages[v], townships[t]] if level == "county" else [villages[v]]
        deputy_stations.append(chosen)
        deputy_county.append(c)
        deputy_prefecture.append(county_prefecture[c])
    deputy_fields = [rng.sample(CATEGORIES, rng.choice((1, 1, 2))) for _ in deputy_codes]
    # Committee members (the presidium among them) are the province's and prefectures' own deputies.
    senior = [d for d, level in enumerate(deputy_level) if level in ("provincial", "prefecture")]
    senior += [d for d, level in enumerate(deputy_level) if level == "county"]
    members = senior[: sizes["committee_members"]]
    presidium = members[: sizes["presidium"]]
    grassroots = [d for d, level in enumerate(deputy_level) if level in ("county", "township")]
    member_set, presidium_set = set(members), set(presidium)

    # -- groups: one per prefecture and county, seven professional ones per prefecture --------------
    group_members: dict[str, list[int]] = {}
    group_rows: list[tuple[str, str, str | None]] = []
    deputy_groups: list[list[str]] = [[] for _ in deputy_codes]
    for code in prefectures:
        group_rows.append((f"G{code}", f"{place()}州代表小组", None))
        for k, category in enumerate(PROFESSIONAL_FIELDS):
            group_rows.append((f"G{code}P{k + 1}", f"{place()}{FIELD_NAMES[k]}代表小组", category))
    for code in counties:
        group_rows.append((f"G{code}", f"{place()}县代表小组", None))
    for d, level in enumerate(deputy_level):
        home = f"G{counties[deputy_county[d]]}" if level in ("county", "township") else None
        home = home or f"G{prefectures[deputy_prefecture[d]]}"
        deputy_groups[d].append(home)
        if level in ("prefecture", "county") and rng.random() < 0.3:
            field_index = CATEGORIES.index(deputy_fields[d][0])
            if field_index < len(PROFESSIONAL_FIELDS):
                deputy_groups[d].append(f"G{prefectures[deputy_prefecture[d]]}P{field_index + 1}")
    for d, codes in enumerate(deputy_groups):
        for code in codes:
            group_members.setdefault(code, []).append(d)

    # -- station heads: each village's first deputy ------------------------------------------------
    heads: dict[str, str] = {}
    for d, chosen in enumerate(deputy_stations):
        if chosen[0].startswith("V"):
            heads.setdefault(chosen[0], deputy_codes[d])

    for code in prefectures:
        stations.row(code, f"{place()}州人大代表之家", "home", None, *where[code], None)
    for c, code in enumerate(counties):
        stations.row(
            code, f"{place()}县人大代表之家", "home", prefectures[county_prefecture[c]], *where[code], None
        )
    for t, code in enumerate(townships):
        stations.row(
            code, f"{place()}镇人大代表工作站", "township", counties[township_county[t]], *where[code], None
        )
    for v, code in enumerate(villages):
        stations.row(
            code,
            f"{place()}村人大代表联络站",
            "village",
            townships[village_township[v]],
            *where[code],
            heads.get(code),
        )
    out.stations.update(home=len(prefectures) + len(counties), township=len(townships), village=len(villages))
    out.heads = len(heads)
    out.bytes += stations.close()

    deputies = _Sheet(
        folder,
        "deputies",
        ["code", "name", "level", "phone", "telegram_id", "stations", "groups", "fields", "roles"],
    )
    for d, code in enumerate(deputy_codes):
        roles = (
            "presidium;committee_member"
            if d in presidium_set
            else "committee_member"
            if d in member_set
            else ""
        )
        deputies.row(
            code,
            person(),
            deputy_level[d],
            f"+86138{d + 1:08d}",
            1_000_001 + d if d < 8 else None,
            ";".join(deputy_stations[d]),
            ";".join(deputy_groups[d]),
            ";".join(deputy_fields[d]),
            roles,
        )
        out.deputies[deputy_level[d]] += 1
        out.deputy_stations += len(deputy_stations[d])
        out.memberships += len(deputy_groups[d])
    out.presidium = len(presidium)
    out.committee_members = len(members)
    out.bytes += deputies.close()

    groups = _Sheet(folder, "groups", ["code", "name", "field", "leader"])
    for code, name, category in group_rows:
        in_group = group_members.get(code, [])
        groups.row(code, name, category, deputy_codes[in_group[0]] if in_group else None)
    out.groups = len(group_rows)
    out.bytes += groups.close()

    # -- committees: the province's nine and each prefecture's nine --------------------------------
    committees = _Sheet(folder, "committees", ["code", "name", "categories", "members"])
    committee_field: dict[str, str] = {}
    committee_area: dict[str, int | None] = {}
    by_field_area: dict[tuple[str, int | None], list[int]] = {}
    for d in members:
        level = deputy_level[d]
        area = None if level == "provincial" else deputy_prefecture[d]
        by_field_area.setdefault((deputy_fields[d][0], area), []).append(d)
    for area in [None, *range(len(prefectures))]:
        prefix = "K00" if area is None else f"K{area + 1:02d}"
        for (abbr, name), category in zip(COMMITTEE_NAMES, CATEGORIES, strict=True):
            code = f"{prefix}{abbr}"
            seated = by_field_area.get((category, area), [])[:3]
            committees.row(code, name, category, ";".join(deputy_codes[d] for d in seated))
            committee_field[code] = category
            committee_area[code] = area
            out.committees += 1
            out.committee_seats += len(seated)
    out.bytes += committees.close()

    # -- contacts: presidium → committee members → grassroots deputies → constituents ----------------
    links: dict[str, list[str]] = {}  # one row per source, as an export writes it
    others = [d for d in members if d not in presidium_set]
    for head, share in zip(presidium, _split(others, len(presidium)), strict=True):
        if share:
            links.setdefault(deputy_codes[head], []).extend(deputy_codes[d] for d in share)
            out.links += len(share)
    contacted = rng.sample(grassroots, min(len(grassroots), DEPUTY_LINKS_PER_MEMBER * len(members)))
    for member, share in zip(members, _split(contacted, len(members)), strict=True):
        if share:
            links.setdefault(deputy_codes[member], []).extend(deputy_codes[d] for d in share)
            out.links += len(share)
    by_field_prefecture: dict[tuple[str, int], list[int]] = {}
    for d in contacted:
        by_field_prefecture.setdefault((deputy_fields[d][0], deputy_prefecture[d]), []).append(d)
    for code, category in committee_field.items():
        area = committee_area[code]
        pool = (
            by_field_prefecture.get((category, area), [])
            if area is not None
            else [d for p in range(len(prefectures)) for d in by_field_prefecture.get((category, p), [])[:3]]
        )
        chosen = sorted(set(pool))[:COMMITTEE_LINKS]
        if chosen:
            links.setdefault(code, []).extend(deputy_codes[d] for d in chosen)
            out.links += len(chosen)

    # -- constituents: a village each; the first ones in touch with a grassroots deputy ------------
    constituents = _Sheet(folder, "constituents", ["code", "name", "phone", "telegram_id", "station"])
    number = 0
    linked_budget = min(sizes["constituents"], CONSTITUENT_LINKS_PER_DEPUTY * len(grassroots))
    for d in grassroots:
        if number >= linked_budget:
            break
        mine = []
        for _ in range(CONSTITUENT_LINKS_PER_DEPUTY):
            if number >= linked_budget:
                break
            number += 1
            code = f"C{number:07d}"
            constituents.row(code, person(), _phone(rng, number), None, deputy_stations[d][0])
            mine.append(code)
        links.setdefault(deputy_codes[d], []).extend(mine)
        out.links += len(mine)
    while number < sizes["constituents"]:
        number += 1
        constituents.row(f"C{number:07d}", person(), _phone(rng, number), None, rng.choice(villages))
    out.constituents = number
    example = _example_constants()
    for code, name, telegram_id, _ in example.OFFICERS:
        constituents.row(code, name, None, telegram_id, None)
        out.constituents += 1
    out.bytes += constituents.close()
    contacts = _Sheet(folder, "contacts", ["from", "to"])
    for source, targets in links.items():
        contacts.row(source, ";".join(targets))
    out.bytes += contacts.close()

    units = _Sheet(folder, "units", ["code", "name", "kind", "categories", "leads", "parent", "officers"])
    for code, name, kind, categories, leads, parent in example.UNITS:
        officers = [o for o, _, _, unit in example.OFFICERS if unit == code]
        units.row(code, name, kind, ";".join(categories), ";".join(leads), parent, ";".join(officers))
        out.units += 1
    out.bytes += units.close()
    sessions = _Sheet(folder, "sessions", ["code", "name", "opens", "closes"])
    for row in example.SESSIONS:
        sessions.row(*row)
        out.sessions += 1
    out.bytes += sessions.close()
    return out


def _phone(rng: random.Random, number: int) -> str | None:
    """Four in five constituents gave a phone number."""
    return f"+86139{number:08d}" if rng.random() < 0.8 else None


def _split(items: list[int], parts: int) -> list[list[int]]:
    """`items` in `parts` consecutive shares, as even as possible."""
    shares, start = [], 0
    for count in spread(len(items), parts):
        shares.append(items[start : start + count])
        start += count
    return shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where the CSV sheets are written")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full province (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    province = generate(args.folder, args.scale, args.seed)
    print(f"{args.folder}: {province.summary()} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
