"""A handful of suggestions for `liaison demo`, so a visitor finds the loop under way: two filed and
awaiting 交办, one prepared for the next 交办会, two published to their units (the transport officer
和建平 and the housing officer 李春梅 of the example network hold their task cards; the transport
committee's 王青 supervises). Small on purpose and only for the demo: the full seeded year of the
figures lives elsewhere; this runs once, on a database that has no suggestion yet.

Everything goes through the services as in chat — `SuggestionService.file` for the deputies,
`AssignmentService.prepare` with the 归口 proposal (`propose`: the example network marks 交通运输局 the
lead of transport and 住房和城乡建设局 of urban construction) and `.publish` for the demo's staff member
— and every outcome's notices are queued with `notices.deliver`, so the cards, the filers' notices and
the ledger are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import Settings
from bot.suggestions import notices
from bot.suggestions.assign import AssignmentService
from bot.suggestions.service import Draft, Outcome
from storage.models import Role, Suggestion
from storage.models.suggestions import SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = ["DEMO_SUGGESTIONS", "DemoSuggestion", "seed_demo_suggestions"]


@dataclass(frozen=True)
class DemoSuggestion:
    filer: str  # the deputy's code in the network
    title: str
    text: str
    category: str
    goal: SuggestionState  # filed, prepared or assigned; prepared and assigned ones go to the 归口 proposal


DEMO_SUGGESTIONS = (
    DemoSuggestion(
        "D0039",
        "关于增开州城至乡镇客运班线的建议",
        "部分乡镇每天只有一班客车往返州城，群众就医、上学出行不便。建议增开早晚班次，并在集镇设置候车点。",
        "transport",
        SuggestionState.ASSIGNED,
    ),
    DemoSuggestion(
        "D0042",
        "关于老旧小区加装电梯的建议",
        "州城多个上世纪九十年代建成的小区没有电梯，老年住户上下楼困难。建议出台加装电梯的补助办法，简化审批。",
        "urban_construction",
        SuggestionState.ASSIGNED,
    ),
    DemoSuggestion(
        "D0043",
        "关于修复国道沿线破损护栏的建议",
        "国道沿线临江路段有多处护栏破损，雨季落石频发，存在安全隐患。建议尽快排查修复，并增设警示标志。",
        "transport",
        SuggestionState.PREPARED,
    ),
    DemoSuggestion(
        "D0039",
        "关于在村小学门口设置减速带的建议",
        "村小学门口紧邻县道，车辆车速较快，学生上下学存在安全隐患。建议设置减速带和人行横道。",
        "transport",
        SuggestionState.FILED,
    ),
    DemoSuggestion(
        "D0042",
        "关于规范农村自建房审批的建议",
        "农村自建房审批涉及多个部门，群众往返多次。建议推行一窗受理，公开办理时限。",
        "urban_construction",
        SuggestionState.FILED,
    ),
)


QUEUED = "suggestion.queued"


class _Seeder:
    def __init__(self, uow: UnitOfWork, settings: Settings, policy: SlaPolicy, now: datetime) -> None:
        self.uow, self.settings, self.policy, self.now = uow, settings, policy, now
        self.service = AssignmentService(uow, zone=settings.timezone)

    async def tell(self, outcome: Outcome) -> Suggestion | None:
        """Queue the outcome's notices (what the chat's handlers do) and return its suggestion — but for
        staff's "new suggestion awaits review": the seeded queue is there in /suggestions, and five pings
        would bury a visitor's first /start as staff."""
        if not outcome.ok or outcome.suggestion is None:
            return None
        told = [n for n in outcome.notices if n.key != QUEUED]
        await notices.deliver(self.uow, told, outcome.suggestion, self.settings, self.policy, self.now)
        return outcome.suggestion

    async def file(self, row: DemoSuggestion) -> Suggestion | None:
        filer = await self.uow.people.by_code(row.filer)
        if filer is None or filer.deputy is None:
            return None  # another network: that deputy is not there
        return await self.tell(
            await self.service.file(filer.id, Draft(row.title, row.text, row.category), self.now)
        )

    async def prepare(self, suggestion: Suggestion, staff_id: int) -> None:
        """To the units the 归口 table proposes, as staff would accept them (none there: left filed)."""
        proposal = await self.service.propose(suggestion)
        if proposal.lead is not None:
            co = [u.id for u in proposal.co_units]
            await self.tell(
                await self.service.prepare(suggestion.id, staff_id, proposal.lead.id, co, self.now)
            )


async def seed_demo_suggestions(
    uow: UnitOfWork, settings: Settings, policy: SlaPolicy, now: datetime
) -> list[Suggestion]:
    """File, prepare and publish `DEMO_SUGGESTIONS` (the caller commits); nothing when any suggestion
    exists already. The first administrator (ADMIN_IDS) acts as staff; without one, all stay filed."""
    if await uow.suggestions.in_states(list(SuggestionState), limit=1):
        return []
    seeder = _Seeder(uow, settings, policy, now)
    filed = [(row, await seeder.file(row)) for row in DEMO_SUGGESTIONS]
    staff = await uow.people.by_telegram_id(settings.admin_ids[0]) if settings.admin_ids else None
    if staff is None or Role.STAFF not in staff.role_set:
        return [s for _row, s in filed if s is not None]
    for row, suggestion in filed:
        if suggestion is not None and row.goal is SuggestionState.ASSIGNED:
            await seeder.prepare(suggestion, staff.id)
    for outcome in await seeder.service.publish(staff.id, now, settings.tracking_prefix):
        await seeder.tell(outcome)
    for row, suggestion in filed:
        if suggestion is not None and row.goal is SuggestionState.PREPARED:
            await seeder.prepare(suggestion, staff.id)
    return [s for _row, s in filed if s is not None]
