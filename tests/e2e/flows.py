"""Steps that many end-to-end tests share: start, submit an opinion, look it up."""

from __future__ import annotations

import re

from bot.runtime.app import Runtime
from storage.models import Opinion, OpinionEvent
from tests.kit import SandboxUser

TRACKING = re.compile(r"LX-\d{4}-\d{6}")
TEXTS = {
    "zh": {
        "hello": "您好",
        "draft": "您的意见（草稿）",
        "submit": "📤 提交",
        "choose": "请选择类别后提交",
        "submitted": "已提交，编号",
    },
    "en": {
        "hello": "Hello",
        "draft": "Your opinion (draft)",
        "submit": "📤 Submit",
        "choose": "Choose a category to submit",
        "submitted": "Submitted as",
    },
}


async def started(*users: SandboxUser, lang: str = "zh") -> None:
    for user in users:
        await user.start()
        await user.receives(containing=TEXTS[lang]["hello"])


async def submit(user: SandboxUser, text: str, category: str, *, lang: str = "zh") -> str:
    """Write one message, press Submit, pick the category; returns the tracking number."""
    tracking, _receipt = await submitted(user, text, category, lang=lang)
    return tracking


async def submitted(user: SandboxUser, text: str, category: str, *, lang: str = "zh") -> tuple[str, str]:
    """As `submit`, and the receipt's text too (it says who holds the opinion now)."""
    t = TEXTS[lang]
    await user.send(text)
    await user.receives(containing=t["draft"])
    await user.press(t["submit"])
    await user.receives(containing=t["choose"])
    await user.press(category)
    done = await user.receives(containing=t["submitted"])
    found = TRACKING.search(done["text"])
    assert found, done
    return found.group(0), str(done["text"])


async def opinion(runtime: Runtime, tracking_no: str) -> Opinion:
    async with runtime.services.uow() as uow:
        found = await uow.opinions.by_tracking_no(tracking_no)
        assert found is not None, tracking_no
        return found


async def events(runtime: Runtime, opinion_id: int) -> list[OpinionEvent]:
    async with runtime.services.uow() as uow:
        return list(await uow.opinions.events(opinion_id))
