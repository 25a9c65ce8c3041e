"""A seeded year of suggestions at the notes' scale: 549 filed, all answered, 358 of them A (65.22%).

For `liaison demo` and the statistics tests: a deterministic year (`random.Random(seed)`: one stream for
the year's shape, one per suggestion for its course) over the network in the database (deputies, units
and their 归口, special committees and their members, unit officers), written in bulk through the models
(`storage/repos/suggestion_seed.py`).

Every suggestion walks the lifecycle: each step is asked of `lifecycle.decide` with the relation that
would press it, and the ledger (`suggestion_event`) records exactly the transitions it granted, so the
rows are what the chat flows would have left — state, ledger, answers, ratings, 三见面 contacts and the
columns figures read (`first_answer_on_time`, `rehandle_count`, `closed_at`, …) agree with each other.

The year (local days in the congress's zone):
- the session (`session`, 8–12 January by default) brings about two thirds; they are prepared by staff
  and published together at the 交办会 on 20 February; the rest are filed between sessions (February to
  mid-August) and assigned a few days after filing; some wait for co-signers first, a few are returned
  for revision and filed again;
- three months to answer (five for a few hard ones, with the reason), a few extended; about one in ten
  is answered late; 三见面 contacts before, during and after handling, most confirmed by the deputy;
- exactly `count_for_share(a_percent, total)` A answers, the rest B (with a planned date) and C (with
  the reason); ratings follow; a few dissatisfied are re-handled, one or two go on to staff;
- 回头看: an A is re-checked six months after closing, a B on its planned date — done only for those
  due by `as_of`, so nothing the demo's sweeps would do at once is left waiting.

Events are never later than `as_of`; answers all fall within the year, so `as_of` must be on or after
1 February of the next year (ratings and re-checks after `as_of` are simply not there yet).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.suggestions.deadlines import DeadlinePolicy, deadline, rehandle_deadline
from bot.suggestions.lifecycle import Action, ActorKind, Details, Facts, Refusal, decide
from bot.suggestions.numbering import Session, local_day
from bot.suggestions.results import Rating, ResultClass, count_for_share, recheck_due
from storage.models.suggestions import ContactForm, ContactStage, ContactVerdict, SuggestionState
from storage.repos.suggestion_seed import SeedNetwork, SuggestionSeedRepo
from storage.unit_of_work import UnitOfWork

__all__ = [
    "A_PERCENT",
    "TOTAL",
    "Planned",
    "SeedSummary",
    "default_session",
    "plan_year",
    "replay",
    "seed_if_fresh",
    "seed_year",
    "seed_year_for",
]

TOTAL = 549
A_PERCENT = "65.22"
CREATE = "create"  # the ledger's first entry, as the service writes it (not a lifecycle action)
K = ActorKind
S = SuggestionState

# How often things happen in the seeded year.
SESSION_SHARE = 0.65
LATE_SHARE = 0.10
HARD_SHARE = 0.03  # a five-month term from the start, with its reason
EXTENSION_SHARE = 0.04
COSIGNED_SHARE = 0.15
RETURNED_SHARE = 0.02
REHANDLED_SHARE = 14 / TOTAL  # rated dissatisfied once and handled again (14 of 549)
DISSATISFIED_AGAIN_SHARE = 3 / 14  # of those, dissatisfied with the second answer too: staff close them
CONTACT_SHARES = {ContactStage.BEFORE: 0.96, ContactStage.DURING: 0.88, ContactStage.AFTER: 0.85}
CATEGORY_WEIGHTS = {
    "urban_construction": 20,
    "transport": 18,
    "agriculture": 15,
    "education": 12,
    "health": 10,
    "social_security": 9,
    "environment": 8,
    "disputes": 4,
    "other": 4,
}
PLACES = ("六库镇", "鲁掌镇", "上江乡", "大兴地镇", "称杆乡", "洛本卓乡", "匹河乡", "老窝镇", "石月亮乡")
TOPICS = {
    "urban_construction": ("老旧小区改造", "城镇污水管网建设", "农村危房改造", "集镇路灯安装"),
    "transport": ("通村公路硬化", "客运班线开通", "乡村道路安全设施", "公路养护"),
    "agriculture": ("高原特色农业发展", "农田灌溉水渠修缮", "草果产业扶持", "农产品冷链建设"),
    "education": ("乡村学校师资配备", "寄宿制学校建设", "学前教育普及", "校车安全管理"),
    "health": ("乡镇卫生院服务能力", "村医待遇保障", "慢性病签约服务", "医疗急救网点"),
    "social_security": ("城乡居民养老保险", "留守老人关爱服务", "困难群众救助", "残疾人就业"),
    "environment": ("怒江流域生态保护", "农村垃圾收运", "水源地保护", "地质灾害防治"),
    "disputes": ("基层矛盾纠纷调解", "农村土地承包纠纷化解", "法律援助便民服务", "社区矫正管理"),
    "other": ("代表联络站建设", "政务服务便民", "民族文化保护", "边境地区发展"),
}
TEXTS = (
    "{place}群众反映{topic}方面问题较多，建议有关部门深入调研，制定切实可行的解决方案。",
    "近年来{place}在{topic}方面取得一定成效，但仍存在资金不足、推进缓慢等问题，建议加大支持力度。",
    "建议将{place}{topic}纳入年度重点工作，明确责任单位和完成时限，定期向代表通报进展。",
)
ANSWERS = {
    ResultClass.A: "经实地调研，{topic}问题已协调解决，相关工作已完成并建立长效机制。",
    ResultClass.B: "{topic}已列入下一年度工作计划，将按计划分步实施，预计于计划日期前完成。",
    ResultClass.C: "{topic}受资金和政策条件限制，目前暂不具备实施条件，已留作参考，条件成熟时推进。",
}
C_REASON = "受资金和政策条件限制"
HARD_REASON = "涉及多个部门，需跨年度协调"
EXTENSION_REASON = "需等待上级部门批复"
RETURN_REASON = "建议内容不够具体，请补充调研情况后重新提出"
DISPUTE_REASON = "沟通时间与实际情况不符"
DISSATISFIED_REASON = "答复未解决实际问题"
CLOSE_REASON = "经工作人员协调，已向代表说明情况，按程序销号"
RECHECK_REASON = "问题出现反复"
CONCLUDE_REASON = "专委会督促后已重新解决"
SUMMARIES = {
    ContactStage.BEFORE: "办前与代表电话沟通，了解建议的具体诉求。",
    ContactStage.DURING: "办理中与代表实地察看，协商解决办法。",
    ContactStage.AFTER: "办结后回访代表，听取对办理工作的意见。",
}
CO_OPINION = "本单位同意主办单位的办理意见，将在职责范围内配合落实。"


def default_session(year: int) -> Session:
    """The congress's annual session of a seeded year (a fictional 16th congress, first sitting 2022)."""
    return Session(f"16-{max(1, year - 2021)}", date(year, 1, 8), date(year, 1, 12))


def seed_year_for(today: date) -> int:
    """The year the demo seeds: the last whole year whose answers are all in by `today`."""
    return today.year - 1 if today >= date(today.year, 2, 1) else today.year - 2


@dataclass
class Planned:
    """One suggestion's rows before they are written (the child rows without `suggestion_id`)."""

    row: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    cosigners: list[dict[str, Any]] = field(default_factory=list)
    unit_opinions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SeedSummary:
    year: int
    suggestions: int
    answered: int
    class_a: int
    events: int

    def __str__(self) -> str:
        return (
            f"seeded year {self.year}: {self.suggestions} suggestions, {self.answered} answered, "
            f"{self.class_a} A, {self.events} ledger entries"
        )


class _Stop(Exception):
    """The next step would be after `as_of`: the suggestion stays where it is."""


class _Walk:
    """One suggestion walked through the lifecycle: every step granted by `decide`, or the plan is wrong."""

    def __init__(self, planned: Planned, filer: int, as_of: datetime) -> None:
        self.planned = planned
        self.state = S.DRAFT
        self.filer = filer
        self.as_of = as_of
        self.last = datetime.min.replace(tzinfo=UTC)

    def do(
        self,
        action: Action,
        kind: ActorKind,
        at: datetime,
        person: int | None = None,
        *,
        facts: Facts | None = None,
        details: Details | None = None,
        note: str | None = None,
    ) -> None:
        if at > self.as_of:
            raise _Stop
        at = max(at, self.last + timedelta(minutes=1))  # the ledger's order is its time order
        decided = decide(self.state, action, kind, facts=facts, details=details)
        if isinstance(decided, Refusal):
            raise AssertionError(f"seed plan broke the lifecycle: {action} from {self.state}: {decided}")
        self.planned.events.append(
            {
                "at": at,
                "action": decided.action.value,
                "from_state": decided.source.value,
                "to_state": decided.target.value,
                "actor_kind": decided.actor.value,
                "actor_person_id": person,
                "note": note,
            }
        )
        self.state = decided.target
        self.planned.row["state"] = self.state.value
        self.last = at


class _Planner:
    def __init__(
        self,
        network: SeedNetwork,
        year: int,
        as_of: datetime,
        *,
        seed: int,
        session: Session,
        zone: str,
    ) -> None:
        if not network.deputies:
            raise ValueError("a seeded year needs deputies in the network")
        if not network.units:
            raise ValueError("a seeded year needs handling units in the network")
        if local_day(as_of, zone) < date(year + 1, 2, 1):
            raise ValueError(
                f"as_of must be on or after {year + 1}-02-01 for every answer of {year} to be in"
            )
        self.network = network
        self.year = year
        self.as_of = as_of
        self.seed = seed
        self.rng = random.Random(seed)
        self.session = session
        self.zone = zone
        self.tz = ZoneInfo(zone)
        self.policy = DeadlinePolicy(zone=zone)

    # -- time ------------------------------------------------------------------------------------------

    def at(self, day: date, hour: int | None = None, minute: int | None = None) -> datetime:
        """A moment of office hours on a local day, in UTC."""
        h = self.rng.randint(9, 17) if hour is None else hour
        m = self.rng.randint(0, 59) if minute is None else minute
        return datetime.combine(day, time(h, m), tzinfo=self.tz).astimezone(UTC)

    def day(self, moment: datetime) -> date:
        return local_day(moment, self.zone)

    def between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    # -- people and bodies -----------------------------------------------------------------------------

    def officer(self, unit_id: int | None) -> int | None:
        found = self.network.officers.get(unit_id or 0, ())
        return found[0] if found else None

    def member(self, committee_id: int | None) -> int | None:
        found = self.network.committee_members.get(committee_id or 0, ())
        return self.rng.choice(found) if found else None

    def units_for(self, category: str) -> tuple[int, ...]:
        return self.network.units_by_category.get(category) or self.network.units

    # -- the year --------------------------------------------------------------------------------------

    def plan(self, total: int, a_percent: str) -> list[Planned]:
        rng = self.rng
        n_session = round(total * SESSION_SHARE)
        filings = sorted(
            [self.at(self.between(self.session.opens, self.session.closes)) for _ in range(n_session)]
            + [
                self.at(self.between(date(self.year, 2, 15), date(self.year, 8, 15)))
                for _ in range(total - n_session)
            ]
        )
        a_count = count_for_share(a_percent, total)
        a_set = set(rng.sample(range(total), a_count))
        finals = [
            ResultClass.A if i in a_set else (ResultClass.B if rng.random() < 0.68 else ResultClass.C)
            for i in range(total)
        ]
        early = [i for i, moment in enumerate(filings) if self.day(moment) <= self.session.closes]
        rehandled = set(rng.sample(early, min(round(total * REHANDLED_SHARE), len(early))))
        again = set(rng.sample(sorted(rehandled), round(len(rehandled) * DISSATISFIED_AGAIN_SHARE)))
        categories = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[c] for c in categories]
        picked = [rng.choices(categories, weights)[0] for _ in filings]
        planned = []
        for i, filed_at in enumerate(filings):
            # Each suggestion draws from its own stream: where `as_of` stops one, the others stay the same.
            self.rng = random.Random(f"{self.seed}:{self.year}:{i + 1}")
            planned.append(
                self.one(i + 1, filed_at, picked[i], finals[i], rehandle=i in rehandled, again=i in again)
            )
        self.rng = rng
        return planned

    def one(
        self,
        sequence: int,
        filed_at: datetime,
        category: str,
        final: ResultClass,
        *,
        rehandle: bool,
        again: bool,
    ) -> Planned:
        rng = self.rng
        filer = rng.choice(self.network.deputies)
        place, topic = rng.choice(PLACES), rng.choice(TOPICS.get(category, TOPICS["other"]))
        in_session = self.session.sits_on(self.day(filed_at))
        row: dict[str, Any] = {
            "number": f"S-{self.year:04d}-{sequence:04d}",
            "series_session": self.session.code if in_session else None,
            "title": f"关于{place}{topic}的建议",
            "text": rng.choice(TEXTS).format(place=place, topic=topic),
            "category": category,
            "filer_person_id": filer,
            "state": S.DRAFT.value,
            "on_behalf_of_paper": False,
            "created_at": filed_at - timedelta(hours=rng.randint(1, 48)),
            "filed_at": filed_at,
            "lead_unit_id": None,
            "co_unit_ids": None,
            "term_months": None,
            "term_reason": None,
            "prepared_at": None,
            "assigned_at": None,
            "due_on": None,
            "committee_id": None,
            "signed_at": None,
            "warned_rung": 0,
            "result_class": None,
            "planned_on": None,
            "answered_at": None,
            "first_answered_at": None,
            "first_answer_on_time": None,
            "rehandle_count": 0,
            "rating": None,
            "rated_at": None,
            "closed_at": None,
            "closing_action": None,
            "closing_reason": None,
            "recheck_due_on": None,
            "rechecked_at": None,
            "recheck_outcome": None,
        }
        planned = Planned(row)
        walk = _Walk(planned, filer, self.as_of)
        planned.events.append(
            {
                "at": row["created_at"],
                "action": CREATE,
                "from_state": None,
                "to_state": S.DRAFT.value,
                "actor_kind": K.FILER.value,
                "actor_person_id": filer,
                "note": None,
            }
        )
        walk.last = row["created_at"]
        try:
            self.file(walk, filed_at)
            self.assign(walk, category, in_session)
            self.handle(walk, final, rehandle=rehandle, again=again, topic=topic)
        except _Stop:
            pass
        return planned

    def file(self, walk: _Walk, filed_at: datetime) -> None:
        """Co-signers first for some (each confirms), then filed; a few returned and filed again."""
        rng, planned = self.rng, walk.planned
        others = [d for d in self.network.deputies if d != walk.filer]
        if others and rng.random() < COSIGNED_SHARE:
            cosigners = rng.sample(others, min(len(others), rng.randint(1, 3)))
            invited = planned.row["created_at"] + timedelta(minutes=5)
            walk.do(Action.INVITE_COSIGNERS, K.FILER, invited, walk.filer)
            for n, person in enumerate(cosigners):
                answered = invited + (filed_at - invited) * (n + 1) / (len(cosigners) + 1)
                walk.do(Action.COSIGN, K.COSIGNER, answered, person)
                planned.cosigners.append(
                    {
                        "person_id": person,
                        "state": "confirmed",
                        "invited_at": invited,
                        "answered_at": answered,
                    }
                )
        walk.do(Action.FILE, K.FILER, filed_at, walk.filer)
        if rng.random() < RETURNED_SHARE:
            back = filed_at + timedelta(days=rng.randint(1, 3))
            walk.do(Action.RETURN, K.STAFF, back, details=Details(reason=RETURN_REASON), note=RETURN_REASON)
            walk.do(Action.REFILE, K.FILER, back + timedelta(days=rng.randint(1, 4)), walk.filer)

    def assign(self, walk: _Walk, category: str, in_session: bool) -> None:
        """Session suggestions are prepared and published at the 交办会; the others assigned directly."""
        rng, row = self.rng, walk.planned.row
        units = self.units_for(category)
        lead = units[0] if rng.random() < 0.8 or len(units) == 1 else rng.choice(units[1:])
        co = [u for u in units if u != lead and rng.random() < 0.3]
        # A hard case gets five months from the start; only early in the year, so it is answered within it.
        early = self.day(walk.last) < date(self.year, 6, 1)
        months, reason = (5, HARD_REASON) if rng.random() < HARD_SHARE and early else (3, "")
        details = Details(
            reason=reason,
            lead_unit=str(lead),
            co_units=tuple(str(u) for u in co),
            term_months=months,
        )
        committees = self.network.committees_by_category.get(category, ())
        row.update(
            lead_unit_id=lead,
            co_unit_ids=co,
            term_months=months,
            term_reason=reason or None,
            committee_id=committees[0] if committees else None,
        )
        if in_session:
            meeting = date(self.year, 2, 20)
            prepared = self.at(self.between(date(self.year, 1, 20), date(self.year, 2, 10)))
            prepared = max(prepared, walk.last + timedelta(hours=1))
            walk.do(Action.PREPARE, K.STAFF, prepared, details=details, note=reason or None)
            row["prepared_at"] = walk.last
            walk.do(Action.PUBLISH, K.STAFF, self.at(meeting, 10, 0))
        else:
            assigned = walk.last + timedelta(days=rng.randint(3, 10))
            walk.do(Action.ASSIGN, K.STAFF, self.at(self.day(assigned)), details=details, note=reason or None)
        row["assigned_at"] = walk.last
        row["due_on"] = deadline(walk.last, months, self.policy).due_on

    def handle(self, walk: _Walk, final: ResultClass, *, rehandle: bool, again: bool, topic: str) -> None:
        """签收, 三见面, co-units' opinions, the answer (on time or late), the rating and what follows."""
        rng, row, planned = self.rng, walk.planned.row, walk.planned
        lead, committee = row["lead_unit_id"], row["committee_id"]
        officer = self.officer(lead)
        signed = walk.last + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        walk.do(Action.SIGN_FOR, K.LEAD_OFFICER, signed, officer)
        row["signed_at"] = walk.last
        early = self.day(row["assigned_at"]) < date(self.year, 7, 1)
        if rng.random() < EXTENSION_SHARE and row["term_months"] < 5 and early:
            asked = walk.last + timedelta(days=rng.randint(10, 30))
            walk.do(
                Action.REQUEST_EXTENSION,
                K.LEAD_OFFICER,
                asked,
                officer,
                facts=Facts(term_months=row["term_months"]),
                details=Details(reason=EXTENSION_REASON),
                note=EXTENSION_REASON,
            )
            walk.do(
                Action.GRANT_EXTENSION,
                K.STAFF,
                asked + timedelta(days=rng.randint(1, 3)),
                facts=Facts(term_months=row["term_months"]),
                details=Details(reason=EXTENSION_REASON, term_months=5),
                note=EXTENSION_REASON,
            )
            row["term_months"] = 5
            row["due_on"] = deadline(row["assigned_at"], 5, self.policy).due_on
        due: date = row["due_on"]
        start = self.day(walk.last) + timedelta(days=20)
        late = rng.random() < LATE_SHARE
        answer_day = due + timedelta(days=rng.randint(1, 25)) if late else self.between(start, due)
        answer_day = max(answer_day, start)
        answered = self.at(answer_day)
        self.contacts(walk, officer, lead, answered)
        for co_unit in row["co_unit_ids"] or []:
            said = walk.last + (answered - walk.last) / 3
            walk.do(Action.CO_OPINION, K.CO_OFFICER, said, self.officer(co_unit))
            planned.unit_opinions.append(
                {
                    "unit_id": co_unit,
                    "person_id": self.officer(co_unit),
                    "text": CO_OPINION,
                    "attachments": None,
                    "at": walk.last,
                }
            )
        if late:
            member = self.member(committee)
            for offset in (-5, 1):  # yellow, then red: the supervising committee reminds the unit
                moment = self.at(due + timedelta(days=offset))
                if walk.last < moment < answered:
                    walk.do(Action.REMIND, K.COMMITTEE, moment, member)
        first = ResultClass(rng.choice("BC")) if rehandle else final
        self.answer(walk, 1, first, answered, officer, topic)
        if rehandle:
            rated = self.rate(walk, 1, Rating.DISSATISFIED)
            row["rehandle_count"] = 1
            row["due_on"] = rehandle_deadline(rated, self.policy).due_on
            again_at = self.at(self.day(rated) + timedelta(days=rng.randint(10, 25)))
            self.answer(walk, 2, final, again_at, officer, topic)
            if again:
                self.rate(walk, 2, Rating.DISSATISFIED)
                closed = walk.last + timedelta(days=rng.randint(3, 10))
                walk.do(
                    Action.CLOSE, K.STAFF, closed, details=Details(reason=CLOSE_REASON), note=CLOSE_REASON
                )
                row.update(
                    closed_at=walk.last, closing_action=Action.CLOSE.value, closing_reason=CLOSE_REASON
                )
            else:
                self.rate(walk, 2, self.rating_for(final))
        else:
            if final is ResultClass.C and rng.random() < 0.05:
                return  # not rated yet: the deputy has not answered the rating card
            self.rate(walk, 1, self.rating_for(final))
        self.recheck(walk, final)

    def rating_for(self, klass: ResultClass) -> Rating:
        satisfied = {ResultClass.A: 0.85, ResultClass.B: 0.55, ResultClass.C: 0.3}[klass]
        return Rating.SATISFIED if self.rng.random() < satisfied else Rating.BASIC

    def contacts(self, walk: _Walk, officer: int | None, lead: int, answered: datetime) -> None:
        """三见面 before the answer: before, during and after handling, each confirmed (mostly) by the deputy."""
        rng, planned = self.rng, walk.planned
        first = self.day(walk.last) + timedelta(days=1)
        last = self.day(answered) - timedelta(days=2)
        span = (last - first).days
        if span < 6:
            return
        windows = {
            ContactStage.BEFORE: (first, first + timedelta(days=span // 4)),
            ContactStage.DURING: (first + timedelta(days=span // 3), first + timedelta(days=2 * span // 3)),
            ContactStage.AFTER: (last - timedelta(days=span // 6), last),
        }
        for stage, (lo, hi) in windows.items():
            if rng.random() >= CONTACT_SHARES[stage]:
                continue
            held = self.between(max(lo, self.day(walk.last)), hi)
            recorded = max(self.at(held, 18, rng.randint(0, 50)), walk.last + timedelta(minutes=5))
            if recorded >= answered:
                continue
            walk.do(Action.RECORD_CONTACT, K.LEAD_OFFICER, recorded, officer)
            roll = rng.random()
            verdict = (
                ContactVerdict.CONFIRMED
                if roll < 0.95
                else ContactVerdict.DISPUTED
                if roll < 0.98
                else ContactVerdict.PENDING
            )
            said = recorded + timedelta(hours=rng.randint(1, 20))
            if verdict is not ContactVerdict.PENDING and said < answered:
                action = (
                    Action.CONFIRM_CONTACT if verdict is ContactVerdict.CONFIRMED else Action.DISPUTE_CONTACT
                )
                reason = DISPUTE_REASON if verdict is ContactVerdict.DISPUTED else ""
                walk.do(
                    action, K.FILER, said, walk.filer, details=Details(reason=reason), note=reason or None
                )
            else:
                verdict = ContactVerdict.PENDING
            planned.contacts.append(
                {
                    "unit_id": lead,
                    "stage": stage.value,
                    "held_on": held,
                    "form": rng.choice([f.value for f in ContactForm if f is not ContactForm.OTHER]),
                    "summary": SUMMARIES[stage],
                    "recorded_by_person_id": officer,
                    "recorded_at": recorded,
                    "verdict": verdict.value,
                    "verdict_reason": DISPUTE_REASON if verdict is ContactVerdict.DISPUTED else None,
                    "verdict_at": said if verdict is not ContactVerdict.PENDING else None,
                }
            )

    def answer(
        self, walk: _Walk, round_: int, klass: ResultClass, at: datetime, officer: int | None, topic: str
    ) -> None:
        rng, row = self.rng, walk.planned.row
        day = self.day(max(at, walk.last))
        planned_on = day + timedelta(days=rng.randint(60, 300)) if klass is ResultClass.B else None
        reason = C_REASON if klass is ResultClass.C else ""
        walk.do(
            Action.ANSWER,
            K.LEAD_OFFICER,
            at,
            officer,
            facts=Facts(answered_on=day),
            details=Details(reason=reason, result_class=klass, planned_on=planned_on),
        )
        on_time = self.day(walk.last) <= row["due_on"]
        walk.planned.answers.append(
            {
                "round": round_,
                "unit_id": row["lead_unit_id"],
                "result_class": klass.value,
                "text": ANSWERS[klass].format(topic=topic),
                "reason": reason or None,
                "planned_on": planned_on,
                "attachments": None,
                "answered_by_person_id": officer,
                "answered_at": walk.last,
                "due_on": row["due_on"],
                "on_time": on_time,
                "rating": None,
                "rating_reason": None,
                "rated_at": None,
            }
        )
        row.update(result_class=klass.value, planned_on=planned_on, answered_at=walk.last)
        if round_ == 1:
            row.update(first_answered_at=walk.last, first_answer_on_time=on_time)

    def rate(self, walk: _Walk, round_: int, rating: Rating) -> datetime:
        """The deputy rates the answer of this round; satisfied or basic closes it (销号)."""
        row = walk.planned.row
        action = {
            Rating.SATISFIED: Action.RATE_SATISFIED,
            Rating.BASIC: Action.RATE_BASIC,
            Rating.DISSATISFIED: Action.RATE_DISSATISFIED,
        }[rating]
        reason = DISSATISFIED_REASON if rating is Rating.DISSATISFIED else ""
        rated = walk.last + timedelta(days=self.rng.randint(2, 15), hours=self.rng.randint(0, 5))
        walk.do(action, K.FILER, rated, walk.filer, details=Details(reason=reason), note=reason or None)
        answer = walk.planned.answers[round_ - 1]
        answer.update(rating=rating.value, rating_reason=reason or None, rated_at=walk.last)
        row.update(rating=rating.value, rated_at=walk.last)
        if rating.closes:
            row.update(closed_at=walk.last, closing_action=action.value)
        return walk.last

    def recheck(self, walk: _Walk, klass: ResultClass) -> None:
        """回头看 of a closed A (six months on) or B (its planned date), as far as `as_of` reaches."""
        row = walk.planned.row
        if row["closed_at"] is None or klass is ResultClass.C or row["closing_action"] == Action.CLOSE.value:
            return
        due = recheck_due(klass, self.day(row["closed_at"]), row["planned_on"])
        row["recheck_due_on"] = due
        if due is None:
            return
        facts = Facts(result_class=klass)
        walk.do(Action.START_RECHECK, K.SYSTEM, self.at(due, 9, 0), facts=facts)
        answer = walk.last + timedelta(days=self.rng.randint(1, 10))
        if self.rng.random() < 0.04:
            walk.do(
                Action.RECHECK_REOPEN,
                K.FILER,
                answer,
                walk.filer,
                details=Details(reason=RECHECK_REASON),
                note=RECHECK_REASON,
            )
            row["recheck_outcome"] = "reopened"
            concluded = walk.last + timedelta(days=self.rng.randint(10, 30))
            walk.do(
                Action.CONCLUDE_RECHECK,
                K.COMMITTEE,
                concluded,
                self.member(row["committee_id"]),
                details=Details(reason=CONCLUDE_REASON),
                note=CONCLUDE_REASON,
            )
            row.update(rechecked_at=walk.last, recheck_outcome="concluded")
        else:
            walk.do(Action.RECHECK_CONFIRM, K.FILER, answer, walk.filer)
            row.update(rechecked_at=walk.last, recheck_outcome="confirmed")


def plan_year(
    network: SeedNetwork,
    year: int,
    as_of: datetime,
    *,
    seed: int = 23,
    total: int = TOTAL,
    a_percent: str = A_PERCENT,
    session: Session | None = None,
    zone: str = "Asia/Shanghai",
) -> list[Planned]:
    """The year's suggestions as rows (pure: the same arguments give the same rows)."""
    if total < 1:
        raise ValueError("a seeded year has at least one suggestion")
    if total > 9999:
        raise ValueError("a seeded year has at most 9999 suggestions (four-digit numbers)")
    planner = _Planner(network, year, as_of, seed=seed, session=session or default_session(year), zone=zone)
    planned = planner.plan(total, a_percent)
    unanswered = [p.row["number"] for p in planned if p.row["first_answered_at"] is None]
    if unanswered:  # pragma: no cover - the dates above keep every answer within the year
        raise AssertionError(f"seeded suggestions left unanswered: {unanswered[:5]}")
    return planned


async def seed_year(
    uow: UnitOfWork,
    year: int,
    as_of: datetime,
    *,
    seed: int = 23,
    total: int = TOTAL,
    a_percent: str = A_PERCENT,
    session: Session | None = None,
    zone: str = "Asia/Shanghai",
) -> SeedSummary:
    """Plan the year over the network in the database and write it in bulk (the caller commits).

    Refused (ValueError) when the year's numbers are taken already: a seed never mixes with real filings.
    """
    repo = SuggestionSeedRepo(uow.session)
    if await uow.suggestions.last_number(f"S-{year:04d}-") is not None:
        raise ValueError(f"suggestions of {year} exist already: not seeding over them")
    network = await repo.network()
    planned = plan_year(
        network, year, as_of, seed=seed, total=total, a_percent=a_percent, session=session, zone=zone
    )
    ids = await repo.add_suggestions([p.row for p in planned])
    for table in ("events", "contacts", "answers", "cosigners", "unit_opinions"):
        rows: list[dict[str, Any]] = []
        for suggestion_id, p in zip(ids, planned, strict=True):
            rows.extend({**r, "suggestion_id": suggestion_id} for r in getattr(p, table))
        await repo.add_rows(table, rows)
    return SeedSummary(
        year=year,
        suggestions=len(planned),
        answered=sum(1 for p in planned if p.row["first_answered_at"] is not None),
        class_a=sum(1 for p in planned if p.row["result_class"] == ResultClass.A.value),
        events=sum(len(p.events) for p in planned),
    )


async def seed_if_fresh(uow: UnitOfWork, now: datetime, zone: str = "Asia/Shanghai") -> SeedSummary | None:
    """The demo's year (`seed_year_for` today), written only into a database where nothing was filed in
    it or before (this year's, such as the demo's handful, may be there) and with deputies and units to
    draw on; None when nothing was written (the caller commits)."""
    year = seed_year_for(local_day(now, zone))
    repo = SuggestionSeedRepo(uow.session)
    after_it = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=ZoneInfo(zone))
    if await repo.any_filed_before(after_it):
        return None
    network = await repo.network()
    if not network.deputies or not network.units:
        return None
    return await seed_year(uow, year, now, zone=zone)


def replay(events: Sequence[dict[str, Any]]) -> SuggestionState:
    """The state a ledger ends in, each entry checked to start where the one before ended (for tests)."""
    state = S.DRAFT
    for event in events:
        if event["action"] == CREATE:
            continue
        if event["from_state"] != state.value:
            raise AssertionError(f"{event['action']} from {event['from_state']}, but the state was {state}")
        state = SuggestionState(event["to_state"])
    return state
