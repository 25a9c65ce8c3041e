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
        "category": "类别：{category}",
        "submitted": "已提交，编号",
    },
    "en": {
        "hello": "Hello",
        "draft": "Your opinion (draft)",
        "submit": "📤 Submit",
        "category": "Category: {category}",
        "submitted": "Submitted as",
    },
}


async def started(*users: SandboxUser, lang: str = "zh") -> None:
    for user in users:
        await user.start()
        await user.receives(containing=TEXTS[lang]["hello"])


async def submit(user: SandboxUser, text: str, category: str, *, lang: str = "zh") -> str:
    """Write one message, pick the category on the card unless it is ticked already (guessed from
    the text), press Submit; returns the tracking number."""
    tracking, _receipt = await submitted(user, text, category, lang=lang)
    return tracking


async def submitted(user: SandboxUser, text: str, category: str, *, lang: str = "zh") -> tuple[str, str]:
    """As `submit`, and the receipt's text too (it says who holds the opinion now)."""
    t = TEXTS[lang]
    await user.send(text)
    card = await user.receives(containing=t["draft"])
    labels = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    if f"✓ {category}" not in labels:  # not the guess: one tap on the card chooses it
        await user.press(category, message_id=card["message_id"])
        await user.receives(containing=t["category"].format(category=category))
    await user.press(t["submit"])
    done = await user.receives(containing=t["submitted"])
    found = TRACKING.search(done["text"])
    assert found, done
    assert t["category"].format(category=category) in done["text"], done  # filed under it
    return found.group(0), str(done["text"])


async def opinion(runtime: Runtime, tracking_no: str) -> Opinion:
    async with runtime.services.uow() as uow:
        found = await uow.opinions.by_tracking_no(tracking_no)
        assert found is not None, tracking_no
        return found


async def events(runtime: Runtime, opinion_id: int) -> list[OpinionEvent]:
    async with runtime.services.uow() as uow:
        return list(await uow.opinions.events(opinion_id))
