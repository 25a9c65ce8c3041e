"""Console sign-in without passwords: a one-time link from /console, then a server-side session.

```mermaid
flowchart LR
    cmd["/console (staff)"] --> link["<base>/console/login/TOKEN (10 min, one use)"]
    link -- GET --> confirm[confirmation page] -- POST --> claim{conditional UPDATE used_at}
    claim -- won --> session["session row + cookie (HttpOnly, SameSite=Strict)"] --> dashboard
    claim -- unknown / expired / used / not staff --> refused[refused and audited]
```
Tokens and session ids are shown once and stored as their sha256 (`bot.people.tokens`, shared with
invitations), so the tables alone open nothing.
Opening a link takes two steps (GET shows a button, POST spends it) so a link scanner or preview
fetch cannot spend it. Every request re-checks that the person is still staff. No aiohttp here.
"""

from __future__ import annotations

import enum
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.people import tokens
from bot.people.roles import is_staff
from bot.runtime.clock import Clock
from bot.runtime.settings import SUPPORTED_LOCALES, Settings
from storage.models import ConsoleLogin, ConsoleSession, Person
from storage.unit_of_work import UnitOfWork

__all__ = [
    "IDLE_TIMEOUT",
    "LINK_TTL",
    "MAX_AGE",
    "ConsoleAuth",
    "Issued",
    "Opened",
    "Refusal",
    "Refused",
    "Signed",
    "base_url",
    "csrf_ok",
    "login_url",
]

LINK_TTL = timedelta(minutes=10)
IDLE_TIMEOUT = timedelta(hours=8)
MAX_AGE = timedelta(hours=24)
# Writing last_seen on every request would make each page view a write; a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class Refusal(enum.StrEnum):
    NOT_STAFF = "not_staff"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    NO_SESSION = "no_session"
    SESSION_EXPIRED = "session_expired"


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    person: Person | None = None


@dataclass(frozen=True)
class Issued:
    """A new login link; `token` exists only here (the table keeps its hash)."""

    token: str
    login: ConsoleLogin


@dataclass(frozen=True)
class Opened:
    """A spent link and the session it opened; `session_token` goes into the cookie, once."""

    session_token: str
    session: ConsoleSession
    person: Person


@dataclass(frozen=True)
class Signed:
    """A request's valid session and the staff member behind it."""

    session: ConsoleSession
    person: Person


def base_url(settings: Settings) -> str:
    """Where staff open the console: CONSOLE_BASE_URL, else this machine's web server."""
    return settings.console_base_url or f"http://127.0.0.1:{settings.webhook_port}"


def login_url(settings: Settings, token: str) -> str:
    return f"{base_url(settings)}/console/login/{token}"


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a form's token with the session's."""
    if not given or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN.match(token) is not None


class ConsoleAuth:
    """Login links and sessions inside one unit of work (the caller commits).

    Args:
        uow: an entered unit of work.
        clock: the service clock; links and sessions expire on it.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    # -- links ------------------------------------------------------------------------------------

    async def issue(self, person: Person, *, telegram_id: int | None = None) -> Issued | Refused:
        """A login link for a staff member; anyone else is refused (and audited)."""
        if not is_staff(person):
            await self.uow.audit.record(
                "console.link_refused",
                actor_telegram_id=telegram_id,
                actor_person_id=person.id,
                allowed=False,
                reason=Refusal.NOT_STAFF.value,
            )
            return Refused(Refusal.NOT_STAFF, person)
        token, token_hash = tokens.new_token(32)
        now = self.clock.now()
        login = ConsoleLogin(
            token_hash=token_hash, person_id=person.id, created_at=now, expires_at=now + LINK_TTL
        )
        await tokens.issue(
            self.uow,
            login,
            "console.link_issued",
            actor_telegram_id=telegram_id,
            actor_person_id=person.id,
            object_type="console_login",
            expires_at=login.expires_at.isoformat(),
        )
        return Issued(token, login)

    async def _usable(self, token: str | None) -> tuple[ConsoleLogin | None, Person | None, Refusal | None]:
        login = None
        if well_formed(token):
            assert token is not None
            login = await tokens.find(self.uow, ConsoleLogin, token)
        if login is None:
            return None, None, Refusal.UNKNOWN
        person = await self.uow.people.get(login.person_id)
        if login.used_at is not None:
            return login, person, Refusal.USED
        if self.clock.now() >= login.expires_at:
            return login, person, Refusal.EXPIRED
        if not is_staff(person):
            return login, person, Refusal.NOT_STAFF
        return login, person, None

    async def check(self, token: str | None) -> ConsoleLogin | Refused:
        """Whether a link may still be opened (the GET step); spends nothing, audits refusals."""
        login, person, refusal = await self._usable(token)
        if refusal is not None or login is None:
            return await self._refuse_link(login, person, refusal or Refusal.UNKNOWN, "check")
        return login

    async def open(self, token: str | None, *, user_agent: str = "") -> Opened | Refused:
        """Spend a link (the POST step) and open a session; of two racing openers exactly one wins."""
        login, person, refusal = await self._usable(token)
        if refusal is not None or login is None or person is None:
            return await self._refuse_link(login, person, refusal or Refusal.UNKNOWN, "open")
        now = self.clock.now()
        if not await tokens.spend(self.uow, ConsoleLogin, login.id, used_at=now):
            return await self._refuse_link(login, person, Refusal.USED, "open")
        session_token, session_hash = tokens.new_token(32)
        row = ConsoleSession(
            token_hash=session_hash,
            person_id=person.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + MAX_AGE,
        )
        await tokens.issue(
            self.uow,
            row,
            "console.login",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="console_session",
            login_id=login.id,
            user_agent=user_agent[:200],
        )
        return Opened(session_token, row, person)

    async def _refuse_link(
        self, login: ConsoleLogin | None, person: Person | None, reason: Refusal, stage: str
    ) -> Refused:
        await self.uow.audit.record(
            "console.login_refused",
            actor_telegram_id=person.telegram_id if person else None,
            actor_person_id=person.id if person else None,
            object_type="console_login" if login else None,
            object_id=login.id if login else None,
            allowed=False,
            reason=reason.value,
            stage=stage,
        )
        return Refused(reason, person)

    # -- sessions ---------------------------------------------------------------------------------

    async def session(self, token: str | None) -> Signed | Refused:
        """The session a cookie names, if it is open, fresh and its person still staff.

        A session found but no longer valid is ended here, so it cannot come back.
        """
        if not well_formed(token):
            return Refused(Refusal.NO_SESSION)
        assert token is not None
        row = await tokens.find(self.uow, ConsoleSession, token)
        if row is None or row.ended_at is not None:
            return Refused(Refusal.NO_SESSION)
        now = self.clock.now()
        person = await self.uow.people.get(row.person_id)
        if now >= row.expires_at or now - row.last_seen_at >= IDLE_TIMEOUT:
            row.ended_at = now
            return Refused(Refusal.SESSION_EXPIRED, person)
        if not is_staff(person):
            row.ended_at = now
            await self.uow.audit.record(
                "console.session_refused",
                actor_telegram_id=person.telegram_id if person else None,
                actor_person_id=row.person_id,
                object_type="console_session",
                object_id=row.id,
                allowed=False,
                reason=Refusal.NOT_STAFF.value,
            )
            return Refused(Refusal.NOT_STAFF, person)
        assert person is not None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return Signed(row, person)

    async def end(self, signed: Signed) -> None:
        """Log out: the cookie's session stops working at once."""
        signed.session.ended_at = self.clock.now()
        await self.uow.audit.record(
            "console.logout",
            actor_telegram_id=signed.person.telegram_id,
            actor_person_id=signed.person.id,
            object_type="console_session",
            object_id=signed.session.id,
        )

    async def set_locale(self, signed: Signed, locale: str) -> bool:
        """The console's language for this session; False for one we do not support."""
        if locale not in SUPPORTED_LOCALES:
            return False
        signed.session.locale = locale
        await self.uow.flush()
        return True

    async def refuse_csrf(self, signed: Signed | None, path: str) -> None:
        """Audit a POST whose form token did not match its session."""
        await self.uow.audit.record(
            "console.csrf_refused",
            actor_telegram_id=signed.person.telegram_id if signed else None,
            actor_person_id=signed.person.id if signed else None,
            object_type="console_session" if signed else None,
            object_id=signed.session.id if signed else None,
            allowed=False,
            path=path[:100],
        )
