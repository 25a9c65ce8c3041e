"""The Big List of Naughty Strings, each one submitted as its own opinion through the sandbox.

Every string of tests/data/blns/blns.json that is not blank and is not a /command is sent by a
constituent, submitted, routed to their linked deputy; the deputy's card must show it byte-exact, the
stored opinion must hold it byte-exact, and the sandbox must have refused no call (HTML escaping of
user text in drafts and cards is what this guards).

Telegram trims the whitespace around a whole message the user sends; the sandbox takes the text as
given, so the simulated client trims it (str.strip) before sending, as a Telegram app would.
Several senders work in parallel, each in its own category, so that "a similar opinion is already
open" (same station and category, another sender) never interrupts the flow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from tests.conftest import BLNS
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
# zh labels of the categories; one per parallel sender (see bot/opinions/drafts.py CATEGORIES).
CATEGORIES = ["城乡建设", "交通出行", "教育", "医疗卫生", "社会保障", "生态环境", "农业农村", "矛盾纠纷"]


def naughty_strings() -> list[str]:
    """The corpus as a Telegram client would send it: trimmed, without blanks and /commands."""
    if not BLNS.is_file():
        pytest.fail(f"BLNS corpus missing: {BLNS} (vendored under tests/data/blns/)")
    corpus = json.loads(BLNS.read_text(encoding="utf-8"))
    assert isinstance(corpus, list) and len(corpus) > 500, "unexpected BLNS corpus shape"
    return [
        s.strip() for s in corpus if s.strip() and not s.startswith("/") and not s.strip().startswith("/")
    ]


async def test_every_naughty_string_reaches_the_deputy_byte_exact(
    network: Runtime, people: Make, sandbox: Sandbox
) -> None:
    strings = naughty_strings()
    deputy = people(201, "孙建国")
    await started(deputy)

    async def linked_sender(user_id: int) -> SandboxUser:
        sender = people(user_id, f"测试{user_id}")
        await sender.start(payload="d_D1")  # linked to D1: every opinion is routed to D1
        await sender.receives(containing="您已与孙建国代表")
        return sender

    senders = [await linked_sender(5000 + i) for i in range(len(CATEGORIES))]
    failures: list[str] = []

    async def work(sender: SandboxUser, category: str, texts: list[tuple[int, str]]) -> None:
        for index, text in texts:
            try:
                tracking = await submit(sender, text, category)
                card = await deputy.receives(containing=tracking, timeout=10)
                # The card: header lines, a blank line, then the opinion text as its last part.
                if not card["text"].endswith("\n\n" + text):
                    failures.append(f"#{index} {text!r}: card shows {card['text']!r}")
                stored = (await opinion(network, tracking)).text
                if stored != text:
                    failures.append(f"#{index} {text!r}: stored as {stored!r}")
            except AssertionError as exc:
                failures.append(f"#{index} {text!r}: {str(exc)[:600]}")
                # A fresh sender, so a half-done draft cannot swallow the next string.
                sender = await linked_sender(6000 + index)

    jobs = [
        work(sender, category, list(enumerate(strings))[i :: len(senders)])
        for i, (sender, category) in enumerate(zip(senders, CATEGORIES, strict=True))
    ]
    await asyncio.gather(*jobs)

    violations = [f"{v.method}: {v.description} text={v.params.get('text')!r}" for v in sandbox.violations()]
    problems = failures + violations
    assert not problems, f"{len(failures)} string(s) failed, {len(violations)} violation(s):\n" + "\n".join(
        problems
    )
    async with network.services.uow() as uow:
        held = await uow.opinions.open_counts()
    assert sum(held.values()) == len(strings)
