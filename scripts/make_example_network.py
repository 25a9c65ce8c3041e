"""Generate the fictional example network: `examples/network.yaml` and the packaged demo copy.

Deterministic (seeded), so regenerating gives the same file and tests can rely on its figures.
All places and people are invented. Run: `.venv/bin/python scripts/make_example_network.py`.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.network import dump_yaml  # noqa: E402 - after the path tweak, so the script runs from a checkout

SEED = 20240301
OUTPUTS = (ROOT / "examples" / "network.yaml", ROOT / "bot" / "data" / "network.yaml")

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
COMMITTEES = (
    ("URBAN", "城乡建设工作委员会", "urban_construction"),
    ("TRANS", "交通运输工作委员会", "transport"),
    ("EDU", "教育科学文化工作委员会", "education"),
    ("HEALTH", "卫生健康工作委员会", "health"),
    ("SOCIAL", "社会建设委员会", "social_security"),
    ("ENV", "环境与资源保护委员会", "environment"),
    ("AGRI", "农业农村委员会", "agriculture"),
    ("LAW", "监察和司法委员会", "disputes"),
    ("WORK", "代表工作委员会", "other"),
)
PROFESSIONAL_GROUPS = (
    ("plateau_farming", "高原特色农业代表小组", "agriculture"),
    ("schools", "教育代表小组", "education"),
    ("clinics", "医疗卫生代表小组", "health"),
    ("roads", "交通运输代表小组", "transport"),
    ("green_hills", "生态环保代表小组", "environment"),
    ("towns", "城乡建设代表小组", "urban_construction"),
    ("welfare", "社会保障代表小组", "social_security"),
    ("mediation", "矛盾纠纷调解代表小组", "disputes"),
)
# Handling units (承办单位) and their 归口 categories: (code, name, kind, categories, leads, parent code).
# `leads`: the categories a unit is proposed to lead (主办), one unit per category; the others of the
# category are proposed as co-units. `disputes` has no lead on purpose: GAJ, JCY, ZYFY by code.
UNITS = (
    ("ZJJ", "州住房和城乡建设局", "government", ["urban_construction"], ["urban_construction"], None),
    ("JTJ", "州交通运输局", "government", ["transport"], ["transport"], None),
    ("GLJ", "州公路管理局", "government", ["transport"], [], "JTJ"),
    ("JYJ", "州教育体育局", "government", ["education"], ["education"], None),
    ("WJW", "州卫生健康委员会", "government", ["health"], ["health"], None),
    ("ZRJ", "州自然资源和规划局", "government", ["urban_construction", "environment"], [], None),
    ("NYJ", "州农业农村局", "government", ["agriculture"], ["agriculture"], None),
    ("STJ", "州生态环境局", "government", ["environment"], ["environment"], None),
    ("RSJ", "州人力资源和社会保障局", "government", ["social_security"], ["social_security"], None),
    ("MZJ", "州民政局", "government", ["social_security", "other"], ["other"], None),
    ("GAJ", "州公安局", "government", ["disputes", "transport"], [], None),
    ("ZYFY", "州中级人民法院", "court", ["disputes"], [], None),
    ("JCY", "州人民检察院", "procuratorate", ["disputes"], [], None),
    ("GDJ", "州供电局", "state_enterprise", ["urban_construction", "agriculture"], [], None),
)
# The sessions calendar (届次/会议): the 16th congress's five annual sessions and the 17th's first.
# Suggestions filed while one sits are numbered in its series; between them, in their year's.
SESSIONS = (
    ("16-1", "第十六届人民代表大会第一次会议", "2022-01-10", "2022-01-13"),
    ("16-2", "第十六届人民代表大会第二次会议", "2023-01-09", "2023-01-12"),
    ("16-3", "第十六届人民代表大会第三次会议", "2024-01-15", "2024-01-18"),
    ("16-4", "第十六届人民代表大会第四次会议", "2025-01-13", "2025-01-16"),
    ("16-5", "第十六届人民代表大会第五次会议", "2026-01-12", "2026-01-15"),
    ("17-1", "第十七届人民代表大会第一次会议", "2027-01-11", "2027-01-14"),
)
# Officers of two units a demo visitor can act as, filed as people without a station (their rows sit in
# `constituents`, the file's place for people who are not deputies): (code, name, Telegram id, unit).
OFFICERS = (
    ("O0001", "和建平", 4_000_001, "JTJ"),
    ("O0002", "李春梅", 4_000_002, "ZJJ"),
)
# Grassroots deputies by level; presidium and committee members are prefecture deputies.
GRASSROOTS_LEVELS = (
    ("national", 2),
    ("provincial", 8),
    ("prefecture", 60),
    ("county", 104),
    ("township", 80),
)

SURNAMES = "和李王杨赵张段余普罗施董字木鲁密熊胡杜尹左陶沙麻蔡祝邓欧阳"
GIVEN = "春秋文明建国丽芳华英光荣志强永学金玉桂兰德福海涛琼艳松林云山雪梅青红晓宇佳辉平安秀珍"
PLACE_HEAD = "岚雾碧霁澄苍翠杉桐榕檀沅澜漪峦岫蓉槐棠枫"
PLACE_TAIL = "江岭屏川溪坪湾原泉源岗坝沟峰林谷塘"


class Names:
    """Unique invented names, so search results and demo logins are unambiguous."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name

    def place(self) -> str:
        while True:
            name = self.rng.choice(PLACE_HEAD) + self.rng.choice(PLACE_TAIL)
            if name not in self.used:
                self.used.add(name)
                return name


def spread(total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` as evenly as possible, larger shares first."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def near(rng: random.Random, lat: float, lon: float, radius: float) -> tuple[float, float]:
    return round(lat + rng.uniform(-radius, radius), 5), round(lon + rng.uniform(-radius, radius), 5)


def build(seed: int = SEED) -> dict[str, list[dict[str, Any]]]:
    """The whole network as import-format data (see examples/README.md)."""
    rng = random.Random(seed)
    names = Names(rng)

    stations: list[dict[str, Any]] = []
    home_of: dict[str, str] = {}
    townships: list[str] = []
    villages: list[str] = []
    home_codes: list[str] = []
    for h in range(5):
        code = f"H{h + 1:02d}"
        lat, lon = near(rng, 25.8, 98.8, 0.5)
        stations.append(
            {
                "code": code,
                "name": f"{names.place()}县人大代表之家",
                "kind": "home",
                "parent": None,
                "latitude": lat,
                "longitude": lon,
            }
        )
        home_codes.append(code)
    for t, home_index in enumerate(i for i, n in enumerate(spread(31, 5)) for _ in range(n)):
        code = f"T{t + 1:03d}"
        home = stations[home_index]
        lat, lon = near(rng, home["latitude"], home["longitude"], 0.15)
        stations.append(
            {
                "code": code,
                "name": f"{names.place()}镇人大代表工作站",
                "kind": "township",
                "parent": home["code"],
                "latitude": lat,
                "longitude": lon,
            }
        )
        townships.append(code)
        home_of[code] = home["code"]
    by_code = {s["code"]: s for s in stations}
    for v, township_index in enumerate(i for i, n in enumerate(spread(292, 31)) for _ in range(n)):
        code = f"V{v + 1:04d}"
        town = by_code[townships[township_index]]
        lat, lon = near(rng, town["latitude"], town["longitude"], 0.05)
        stations.append(
            {
                "code": code,
                "name": f"{names.place()}村人大代表联络站",
                "kind": "village",
                "parent": town["code"],
                "latitude": lat,
                "longitude": lon,
            }
        )
        villages.append(code)
        by_code[code] = stations[-1]
        home_of[code] = home_of[town["code"]]

    committees = [{"code": c, "name": n, "categories": [cat]} for c, n, cat in COMMITTEES]

    deputies: list[dict[str, Any]] = []

    def deputy(level: str, stations_: list[str], fields: list[str], roles: list[str]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "code": f"D{len(deputies) + 1:04d}",
            "name": names.person(),
            "level": level,
            "phone": f"+86138{len(deputies) + 1:08d}",
        }
        row.update({"stations": stations_, "groups": [], "fields": fields})
        if roles:
            row["roles"] = roles
        deputies.append(row)
        return row

    presidium = [
        deputy("prefecture", [home_codes[i % 5]], [CATEGORIES[i]], ["presidium", "committee_member"])
        for i in range(7)
    ]
    members = [
        deputy("prefecture", [home_codes[i % 5]], [CATEGORIES[(i + 7) % 9]], ["committee_member"])
        for i in range(30)
    ]
    # Each special committee seats the (at most three) first committee members of its field, so a red
    # warning's committee copy reaches people. No random draw: the rest of the file stays as it was.
    for committee, (_, _, category) in zip(committees, COMMITTEES, strict=True):
        committee["members"] = [m["code"] for m in members if m["fields"][0] == category][:3]
    grassroots = []
    for level, count in GRASSROOTS_LEVELS:
        for _ in range(count):
            village = rng.choice(villages)
            where = [village] if level in ("county", "township") else [village, by_code[village]["parent"]]
            fields = rng.sample(CATEGORIES, rng.choice((1, 1, 2)))
            grassroots.append(deputy(level, where, fields, []))

    groups: list[dict[str, Any]] = []
    for code in home_codes:
        group_code = f"county_{code.lower()}"
        members_here = [d for d in grassroots if home_of[d["stations"][0]] == code]
        for d in members_here:
            d["groups"].append(group_code)
        groups.append(
            {
                "code": group_code,
                "name": by_code[code]["name"].replace("人大代表之家", "代表小组"),
                "leader": members_here[0]["code"],
            }
        )
    for code, name, category in PROFESSIONAL_GROUPS:
        joined = [d for d in grassroots if d["fields"][0] == category and rng.random() < 0.5]
        for d in joined:
            d["groups"].append(code)
        groups.append({"code": code, "name": name, "field": category, "leader": joined[0]["code"]})
    for d in deputies:
        if not d["groups"]:
            del d["groups"]

    contacts: list[dict[str, Any]] = []
    start = 0
    for head, n in zip(presidium, spread(30, 7), strict=True):
        contacts.append({"from": head["code"], "to": [m["code"] for m in members[start : start + n]]})
        start += n
    contacted = sorted(rng.sample(grassroots, 136), key=lambda d: d["code"])
    start = 0
    for member, n in zip(presidium + members, spread(136, 37), strict=True):
        contacts.append({"from": member["code"], "to": [d["code"] for d in contacted[start : start + n]]})
        start += n
    for code, _, category in COMMITTEES:
        targets = [d["code"] for d in contacted if d["fields"][0] == category]
        assert targets, f"no deputy in the field of {code}; change the seed"
        contacts.append({"from": code, "to": targets})

    constituents: list[dict[str, Any]] = []
    for d in grassroots:
        mine = []
        for _ in range(rng.randint(3, 5)):
            number = len(constituents) + 1
            row: dict[str, Any] = {"code": f"C{number:04d}", "name": names.person()}
            if rng.random() < 0.8:
                row["phone"] = f"+86139{number:08d}"
            if number <= 5:
                row["telegram_id"] = 2_000_000 + number
            row["station"] = d["stations"][0]
            constituents.append(row)
            mine.append(row["code"])
        contacts.append({"from": d["code"], "to": mine})

    merged: dict[str, list[str]] = {}
    for row in contacts:  # one row per source, as an export writes it
        merged.setdefault(row["from"], []).extend(row["to"])
    contacts = [{"from": source, "to": targets} for source, targets in merged.items()]

    # A few accounts a demo can log in as: presidium, committee member, grassroots deputies.
    for offset, d in enumerate([presidium[0], members[0], *contacted[:4]]):
        d["telegram_id"] = 1_000_001 + offset
    # A member of the transport committee, who supervises the suggestions 交通运输局 handles, and a
    # standing-committee member who sits on no special committee (the demo groups them apart).
    seated = {code for committee in committees for code in committee["members"]}
    trans = next(c for c in committees if c["code"] == "TRANS")
    by_person = {d["code"]: d for d in members}
    by_person[trans["members"][0]]["telegram_id"] = 1_000_007
    next(m for m in members if m["code"] not in seated)["telegram_id"] = 1_000_008
    constituents += [{"code": code, "name": name, "telegram_id": uid} for code, name, uid, _ in OFFICERS]
    # Each village station's head (站长, #24): the first deputy (by code) who serves there; they publish
    # its duty roster (/roster). Set after everything else, so no random draw above changes.
    village_codes = set(villages)
    heads: dict[str, str] = {}
    for d in deputies:
        for station in d["stations"]:
            if station in village_codes:
                heads.setdefault(station, d["code"])
    for station_row in stations:
        if station_row["code"] in heads:
            station_row["head"] = heads[station_row["code"]]
    keys = ("code", "name", "level", "phone", "telegram_id", "stations", "groups", "fields", "roles")
    deputies = [{k: d[k] for k in keys if k in d} for d in deputies]
    return {
        "stations": stations,
        "committees": committees,
        "deputies": deputies,
        "groups": groups,
        "contacts": contacts,
        "constituents": constituents,
        "units": [
            {"code": code, "name": name, "kind": kind, "categories": categories}
            | ({"leads": leads} if leads else {})
            | ({"parent": parent} if parent else {})
            | ({"officers": officers} if (officers := [o for o, _, _, u in OFFICERS if u == code]) else {})
            for code, name, kind, categories, leads, parent in UNITS
        ],
        "sessions": [
            {
                "code": code,
                "name": name,
                "opens": date.fromisoformat(opens),
                "closes": date.fromisoformat(closes),
            }
            for code, name, opens, closes in SESSIONS
        ],
    }


def header(data: dict[str, list[dict[str, Any]]]) -> str:
    kinds = Counter(s["kind"] for s in data["stations"])
    levels = Counter(d["level"] for d in data["deputies"])
    links = sum(len(c["to"]) for c in data["contacts"])
    seats = sum(len(c.get("members", [])) for c in data["committees"])
    return (
        "# Fictional example contact network (四联系) of an invented prefecture; all names are made up.\n"
        "# Generated by scripts/make_example_network.py (seeded): edit the script, not this file.\n"
        "# Format: examples/README.md. Import: liaison network import examples/network.yaml\n"
        f"# stations: {dict(kinds)}; deputies: {len(data['deputies'])} {dict(levels)};\n"
        f"# committees: {len(data['committees'])} ({seats} members); groups: {len(data['groups'])}; "
        f"constituents: {len(data['constituents'])}; contact links: {links}; units: {len(data['units'])}; "
        f"sessions: {len(data['sessions'])}\n"
    )


def main() -> None:
    data = build()
    text = header(data) + dump_yaml(data)
    for path in OUTPUTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(text.encode())} bytes)")


if __name__ == "__main__":
    main()
