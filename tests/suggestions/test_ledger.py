"""The 立项—督办—销号 ledger on both backends: one row per numbered suggestion with its dates, class,
rating, confirmed 三见面 and 督办 counts and closing; its events with stage and actor (an officer shown as
the unit); no constituent's name anywhere; the XLSX read back with openpyxl; one year's series."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.console.export import Table, to_xlsx
from bot.kit.i18n import translator
from bot.suggestions import ledger
from bot.suggestions.ledger import Stage
from bot.suggestions.service import Draft
from bot.suggestions.supervise import SupervisionService
from storage.models import Deputy, Opinion
from storage.models.opinions import OpinionState
from storage.unit_of_work import UnitOfWork
from tests.suggestions import seed
from tests.suggestions.test_supervise import NOW, handling, world

ZONE = ZoneInfo("Asia/Shanghai")


async def test_rows_events_and_workbook(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        w = await world(u)
        holder = await u.session.get(Deputy, (await u.people.deputy_of(w.filer)).id)  # type: ignore[union-attr]
        assert holder is not None
        opinion = Opinion(
            tracking_no="LX-2026-000001",
            sender_person_id=w.constituent,  # 周小梅: her name must never reach the ledger
            category="transport",
            text="村口路坏了",
            holder_deputy_id=holder.id,
            state=OpinionState.ACCEPTED.value,
        )
        u.session.add(opinion)
        await u.flush()
        service = SupervisionService(u)
        old = await handling(u, w, datetime(2025, 11, 3, 2, 0, tzinfo=NOW.tzinfo), title="去年的")
        s = await handling(u, w, NOW, title="修缮村道", opinion_ids=[opinion.id])
        await seed.contact(u, s, w.officer, NOW + timedelta(days=2), confirmed=True)
        await seed.contact(u, s, w.officer, NOW + timedelta(days=3), confirmed=False)
        assert (await service.comment(s.id, w.member, "请加快", NOW + timedelta(days=4))).ok
        assert (await service.remind(s.id, w.member, NOW + timedelta(days=5))).ok
        assert (await service.ask_escalation(s.id, w.member, "拖延", NOW + timedelta(days=6))).ok
        await seed.answered(u, s, w.officer, "A", NOW + timedelta(days=30))
        assert (await service.close(s.id, w.staff, "经核实已解决", NOW + timedelta(days=31))).ok
        draft = await service.file(w.filer, Draft("", "", "transport"), NOW)  # refused: never numbered
        assert draft.suggestion is None
        await u.commit()

    async with uow() as u:
        book = await ledger.build(u)
        assert [r.number for r in book.rows] == [old.number, s.number]
        row = book.rows[1]
        assert (row.title, row.filer, row.lead_unit, row.co_units, row.committee) == (
            "修缮村道",
            "孙建国",
            "交通局",
            ("公路局",),
            "交通委员会",
        )
        assert (row.state, row.result_class, row.contacts_confirmed, row.supervision_actions) == (
            "closed",
            "A",
            1,
            3,
        )
        assert (row.closing_action, row.closing_reason) == ("close", "经核实已解决")
        assert row.filed_at == NOW and row.assigned_at == NOW and row.due_on == date(2026, 6, 1)
        assert row.closed_at == NOW + timedelta(days=31)
        stages = [(e.action, e.stage) for e in row.events]
        assert stages[:3] == [("create", Stage.FILING), ("file", Stage.FILING), ("prepare", Stage.ASSIGNMENT)]
        assert ("comment", Stage.SUPERVISION) in stages and stages[-1] == ("close", Stage.CLOSING)
        by_action = {e.action: e for e in row.events}
        assert by_action["sign_for"].actor == "交通局"  # the unit, not its officer's name
        assert by_action["comment"].actor == "钱志强" and by_action["comment"].note == "请加快"
        assert by_action["close"].actor == "办公室小张"
        assert (await ledger.build(u, "S-2025-")).rows[0].number == old.number
        assert len((await ledger.build(u, "S-2026-")).rows) == 1

        for locale, header in (("zh_Hans", "建议编号"), ("en", "Suggestion number")):
            tr = translator(locale)
            sheets = ledger.sheets(tr, book, ZONE)
            data = to_xlsx([Table(x.title, x.headers, x.rows) for x in sheets])
            workbook = load_workbook(io.BytesIO(data), read_only=True)
            first, events = (list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets)
            assert first[0][0] == header and len(first) == 3
            assert first[2][:4] == (s.number, "修缮村道", "孙建国", tr("Transport"))
            assert first[2][15:19] == (1, 3, tr("the congress office's decision"), "经核实已解决")
            assert len(events) == 1 + sum(len(r.events) for r in book.rows)
            cells = [str(c) for r in first + events for c in r if c is not None]
            assert not any("周小梅" in c or "王科长" in c for c in cells)  # constituent, officer: never named


def test_every_ledger_entry_has_a_label_and_a_stage() -> None:
    """Every action the ledger can hold is named in both languages and counted in one stage."""
    from bot.kit.i18n import translator
    from bot.suggestions.ledger import ACTION_LABELS, STAGES
    from bot.suggestions.lifecycle import Action
    from bot.suggestions.merge import JOINED
    from bot.suggestions.service import CREATE
    from bot.suggestions.sweep import WARN

    written = {a.value for a in Action} | {CREATE, JOINED, WARN}
    assert set(ACTION_LABELS) == written
    assert set(STAGES) == written
    zh = translator("zh_Hans")
    assert all(zh(label) != label for label in ACTION_LABELS.values())
