"""Button presses, thin by construction: `@button(Kind)` finds the presser, parses the data once and
refuses uniformly (answered with an alert and audited) before the handler body runs.

    @button(CardPress, audit="callback.refused")
    async def card_pressed(press: Press[CardPress]) -> None:
        opinion = await service.get(press.data.opinion_id)
        if opinion is None:
            await press.refuse(press.who.tr("This opinion does not exist."), reason="not_found")
            return
        ...

The decorator returns the `CallbackQueryHandler` itself (pattern anchored on the kind's prefix), so
the wiring module's table lists it as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.kit.callbacks import Button
from bot.kit.i18n import N_
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import answer_query, send_text
from handlers.common import Actor, actor, brief_actor

D = TypeVar("D", bound=Button)

NO_LONGER_VALID = N_("This button is no longer valid.")


@dataclass
class Press(Generic[D]):
    """One checked press: who pressed, what the data says, and how to answer."""

    data: D
    who: Actor[Any]
    query_id: str
    message_id: int | None
    context: LiaisonContext
    audit: str

    @property
    def uow(self) -> Any:
        return self.context.uow

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Stop the spinner (optionally with a toast or an alert)."""
        await answer_query(self.context.uow, self.who.chat_id, self.query_id, text, alert=alert)

    async def say(self, text: str, **kwargs: Any) -> None:
        """A new message in the presser's chat."""
        await send_text(self.context.uow, self.who.chat_id, text, **kwargs)

    async def refuse(
        self,
        text: str | None = None,
        *,
        reason: str = "refused",
        audited: bool = False,
        event: str | None = None,
        **detail: object,
    ) -> None:
        """Answer a press that may not act with an alert, and audit it (unless the service did)."""
        if not audited:
            await self.context.uow.audit.record(
                event or self.audit,
                actor_telegram_id=self.who.account.telegram_id,
                actor_person_id=self.who.person.id,
                allowed=False,
                reason=reason,
                **detail,
            )
        await self.answer(text or self.who.tr(NO_LONGER_VALID), alert=True)


PressHandler = Callable[[Press[D]], Awaitable[None]]


class ButtonHandler(CallbackQueryHandler):  # type: ignore[type-arg]
    """A CallbackQueryHandler that keeps the decorated body (PTB's handlers have __slots__)."""

    __slots__ = ("press",)


def button(
    kind: type[D], *, audit: str = "callback.refused", brief: bool = False
) -> Callable[[PressHandler[D]], CallbackQueryHandler]:
    """Register-ready handler for presses of `kind`: data that does not parse is refused here.

    `brief`: the presser as a `PersonBrief`, not the entity — for the presses that only read who is
    pressing (a constituent's draft card: most of the bot's traffic, where loading the entity showed
    in bench/opinions.py).
    """
    find = brief_actor if brief else actor

    def decorate(handle: PressHandler[D]) -> CallbackQueryHandler:
        async def on_press(update: Update, context: LiaisonContext) -> None:
            query = update.callback_query
            who = await find(update, context)
            if query is None or who is None:
                return
            message = query.message
            data = kind.parse(query.data)
            press_data: Any = data
            press = Press(press_data, who, query.id, message.message_id if message else None, context, audit)
            if data is None:
                await press.refuse(reason="malformed", data=str(query.data)[:64])
                return
            await handle(press)

        on_press.__name__ = on_press.__qualname__ = handle.__name__
        on_press.__doc__ = handle.__doc__
        on_press.__module__ = handle.__module__
        handler = ButtonHandler(on_press, pattern=kind.pattern())
        handler.press = handle  # the body, for tests that call it directly
        return handler

    return decorate
