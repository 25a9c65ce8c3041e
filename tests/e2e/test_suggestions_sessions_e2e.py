"""/suggest through the sandbox while a session of the congress sits: the network file's sessions
calendar (imported here, around the test's day) numbers the suggestion in the session's series; once
the session has closed, the next one is numbered in the recess year's series, counting on.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201); user 900001 is admin and staff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.network import dump_yaml, import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.suggestions.numbering import local_day
from storage.models.suggestions import Suggestion
from tests.e2e.flows import started
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
NUMBER = re.compile(r"S-\d{4}-\d{4}")


async def file_in_chat(d1: SandboxUser, staff: SandboxUser, title: str) -> str:
    """/suggest, alone, no attachments; the number the filer is told (staff are told it too). Only this
    form's messages count: an earlier form's edits are not waited for by mistake."""
    await d1.command("suggest")
    opening = await d1.receives(containing="请输入建议的标题")

    async def step(containing: str) -> dict[str, Any]:
        return await d1.receives(containing, where=lambda m: m["message_id"] >= opening["message_id"])

    await d1.send(title)
    await step("请输入建议的正文")
    await d1.send("乡镇客运班次少，群众出行不便，建议增开早晚班次。")
    prompt = await step("请选择建议的类别")
    await d1.press("交通出行", message_id=prompt["message_id"])
    prompt = await step("附议/联名")
    await d1.press("⏭ 跳过", message_id=prompt["message_id"])
    prompt = await step("附件（照片、文件、调研材料）")
    await d1.press("➡️ 下一步", message_id=prompt["message_id"])
    prompt = await step("请核对您的建议")
    await d1.press("✅ 提交", message_id=prompt["message_id"])
    filed = await step(f"已提交：{title}")
    number = NUMBER.search(filed["text"])
    assert number is not None, filed["text"]
    await staff.receives(containing=f"新建议 {number.group(0)}")
    return number.group(0)


async def test_a_suggestion_filed_during_a_session_is_in_its_series(
    network: Runtime, people: Make, clock: ManualClock, tmp_path: Path
) -> None:
    today = local_day(clock.now(), network.services.settings.timezone)
    opens, closes = today - timedelta(days=1), today + timedelta(days=1)
    calendar = {
        "sessions": [
            {"code": "17-3", "name": "第十七届人民代表大会第三次会议", "opens": opens, "closes": closes},
        ]
    }
    path = tmp_path / "sessions.yaml"
    path.write_text(dump_yaml(calendar), encoding="utf-8")
    await import_network(network.services.sessionmaker, path)

    d1, staff = people(201, "孙建国"), people(900001, "办公室小张")
    await started(d1, staff)
    during = await file_in_chat(d1, staff, "会议期间的建议")
    assert during == f"S-{opens.year}-0001"  # a session's numbers carry the year it opened

    clock.advance(timedelta(days=2))  # the session closed yesterday
    after_day = local_day(clock.now(), network.services.settings.timezone)
    assert after_day > closes
    after = await file_in_chat(d1, staff, "闭会期间的建议")
    assert after == f"S-{after_day.year}-{2 if after_day.year == opens.year else 1:04d}"

    async with network.services.uow() as uow:
        rows = (await uow.session.scalars(select(Suggestion).order_by(Suggestion.id))).all()
    assert [(s.number, s.series_session, s.state) for s in rows] == [
        (during, "17-3", "filed"),
        (after, None, "filed"),
    ]
    await d1.command("suggestions")
    listed = await d1.receives(containing="📋 您的建议")
    assert f"{during} · 会议期间的建议" in listed["text"] and f"{after} · 闭会期间的建议" in listed["text"]
