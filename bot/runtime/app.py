"""The one wiring point: build the Application, register handlers, run it with inbox and outbox."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, field
from datetime import time, timedelta

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ContextTypes,
)

from bot.broadcasts.service import PROGRESS_EVERY, refresh_progress, send_due_broadcasts, with_paid_tier
from bot.broadcasts.service import tick as broadcast_tick
from bot.duty.notices import deliver as deliver_duty_notices
from bot.duty.service import DutyService
from bot.kit.i18n import translator
from bot.opinions import views as views
from bot.opinions.digest import send_digests
from bot.opinions.follow_up import due_follow_ups
from bot.opinions.service import OpinionService
from bot.opinions.views import OpinionViews
from bot.points.service import PointsService
from bot.runtime import redact
from bot.runtime.clock import Clock, SystemClock
from bot.runtime.context import BotData, LiaisonApp, LiaisonContext, Services, current_scope
from bot.runtime.inbox import Inbox
from bot.runtime.outbox import OutboxSender, Pacing
from bot.runtime.reports import ReportWorker
from bot.runtime.settings import SUPPORTED_LOCALES, Settings
from bot.runtime.transport import AiohttpRequest
from bot.runtime.wiring import register_handlers
from bot.stations import notices as station_notices
from bot.stations.service import StationService
from bot.suggestions import notices as suggestion_notices
from bot.suggestions import sweep as suggestion_sweep
from bot.suggestions.filing import remind_cosigners
from bot.suggestions.results import RecheckPolicy
from bot.suggestions.supervise import SupervisionService
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.locks import single_holder

log = logging.getLogger(__name__)

# Young objects are collected after this many net allocations (CPython's default is 700).
SERVING_GC_THRESHOLD = (10_000, 50, 100)


def tune_gc_for_serving() -> None:
    """Collect garbage less often in the long-running bot process; call once start-up is done.

    Why: handling one update allocates thousands of short-lived objects (the parsed Update, ORM rows,
    the outgoing JSON), nearly all freed by reference counting. At CPython's default the young
    generation is scanned several times per update, and older collections walk everything start-up
    made (modules, mappers, handlers), which never becomes garbage. Freezing start-up's objects and
    scanning less often cut the bot's CPU per update by about a tenth and trimmed the latency tail
    (bench/opinions.py). Reference cycles are still collected, a little later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLD)


async def on_error(update: object, context: LiaisonContext) -> None:
    """Mark the update's unit of work as failed, so it rolls back and the inbox records the error."""
    scope = current_scope.get()
    if scope is not None:
        scope.failed = context.error
    # The update's id only: its text and sender's name (an anonymous opinion's, say) stay out of logs.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler failed for update %s", update_id, exc_info=context.error)


def build_application(services: Services) -> LiaisonApp:
    settings = services.settings
    if not settings.bot_token:
        raise ValueError("BOT_TOKEN is required to build the application")
    context_types = ContextTypes(context=LiaisonContext, bot_data=BotData)
    app = (
        Application.builder()
        .token(settings.bot_token)
        .base_url(f"{settings.bot_api_url}/bot")
        .base_file_url(f"{settings.bot_api_url}/file/bot")
        .context_types(context_types)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .updater(None)  # our inbox polls: PTB's Updater confirms updates before they are handled
        .build()
    )
    app.bot_data.services = services
    register_handlers(app)  # type: ignore[arg-type]
    app.add_error_handler(on_error)
    return app  # type: ignore[return-value]


async def publish_commands(app: LiaisonApp) -> None:
    """The default command menu in each language (role menus are set per chat by the features)."""
    for locale in SUPPORTED_LOCALES:
        _ = translator(locale)
        commands = [
            BotCommand("start", _("Start")),
            BotCommand("help", _("What I can do")),
            BotCommand("cancel", _("Cancel the unfinished draft or answer")),
            BotCommand("language", _("Choose your language")),
        ]
        lang = "zh" if locale == "zh_Hans" else "en"
        await app.bot.set_my_commands(commands, language_code=lang)
    await app.bot.set_my_commands(
        [BotCommand("start", translator(app.bot_data.services.settings.default_locale)("Start"))]  # type: ignore[union-attr]
    )


# Handled updates are kept at most this long whatever RETENTION_DAYS says: after a week of silence
# Telegram may start update_id anew, and an old id must not look like a redelivery.
INBOX_KEEP = timedelta(days=3)


async def purge_once(services: Services) -> tuple[int, int]:
    """Delete handled updates and messages that are over, older than RETENTION_DAYS (the inbox's at
    most INBOX_KEEP); returns (updates, messages) deleted."""
    now = services.clock.now()
    keep = timedelta(days=services.settings.retention_days)
    async with services.uow() as uow:
        updates = await uow.inbox.forget_before(now - min(keep, INBOX_KEEP))
        messages = await uow.outbox.forget_before(now - keep)
        await uow.commit()
    return updates, messages


async def _purge_job(context: LiaisonContext) -> None:
    try:
        await purge_once(context.services)
    except Exception:
        log.exception("retention purge failed")


async def broadcast_job(context: LiaisonContext) -> None:
    """Start due scheduled notices and edit progress messages (their state is in the database).

    The job's data may be a timedelta: the least time between two edits of a progress message.
    """
    data = context.job.data if context.job is not None else None
    try:
        await broadcast_tick(context.services, data if isinstance(data, timedelta) else PROGRESS_EVERY)
    except Exception:
        log.exception("broadcast tick failed")


async def sweep_once(services: Services) -> int:
    """One SLA sweep: auto-closes, colour warnings up the ladder (opinions, then suggestions); returns how
    many notices it queued."""
    async with services.uow() as uow:
        service = OpinionService(
            uow,
            clock=services.clock,
            policy=services.policy,
            tracking_prefix=services.settings.tracking_prefix,
        )
        notes = await service.sweep()
        notes += await due_follow_ups(uow, services.clock.now(), services.policy)
        views = OpinionViews(uow, services.settings, services.policy)
        now = services.clock.now()
        await views.deliver(notes, now)
        # An auto-closed opinion's card must lose its buttons too (the holder pressed nothing).
        for opinion_id in {n.opinion_id for n in notes if n.key == "opinion.auto_closed"}:
            opinion = await uow.opinions.get(opinion_id)
            if opinion is not None:
                await views.refresh_card(opinion, await views.holder_person(opinion), now)
        progress = await refresh_progress(uow, services.settings)
        await uow.commit()
    # Suggestions' reminder ladder (办理), in its own unit of work: due rows chosen by `next_warning_at`.
    async with services.uow() as uow:
        warned = await suggestion_sweep.sweep(uow, services.settings, services.policy, services.clock.now())
        await uow.commit()
    if notes or progress or warned:
        services.outbox_wakeup.set()
    await send_due_broadcasts(services)  # its own unit of work; wakes the sender itself
    return len(notes) + warned


async def digest_once(services: Services) -> int:
    """The 08:30 daily digests that are due (each person once per local day); returns how many."""
    async with services.uow() as uow:
        sent = await send_digests(uow, services.settings, services.clock.now(), policy=services.policy)
        await uow.commit()
    if sent:
        services.outbox_wakeup.set()
    return sent


async def _digest_job(context: LiaisonContext) -> None:
    try:
        await digest_once(context.services)
    except Exception:
        log.exception("daily digest failed")


async def cosign_reminders_once(services: Services) -> int:
    """Remind co-signers silent for three days, once each (bot/suggestions/filing.py); returns how many
    suggestions' co-signers were reminded. Quiet hours hold the notices back, as for every ping."""
    async with services.uow() as uow:
        count = await remind_cosigners(uow, services.settings, services.policy, services.clock.now())
        await uow.commit()
    if count:
        services.outbox_wakeup.set()
    return count


async def _cosign_job(context: LiaisonContext) -> None:
    try:
        await cosign_reminders_once(context.services)
    except Exception:
        log.exception("co-signer reminders failed")


async def _sweep_job(context: LiaisonContext) -> None:
    """JobQueue only wakes us up: deadlines live in the database, so a restart loses nothing."""
    try:
        await sweep_once(context.services)
    except Exception:
        log.exception("SLA sweep failed")


async def recheck_once(services: Services) -> int:
    """回头看: every closed suggestion whose re-check day has come goes to its filer; returns how many."""
    now, settings = services.clock.now(), services.settings
    async with services.uow() as uow:
        policy = RecheckPolicy(a_after_months=settings.recheck_a_after_months)
        service = SupervisionService(uow, zone=settings.timezone, recheck=policy)
        started = [o for o in await service.start_due_rechecks(now) if o.ok and o.suggestion is not None]
        for outcome in started:
            assert outcome.suggestion is not None
            await suggestion_notices.deliver(
                uow, outcome.notices, outcome.suggestion, settings, services.policy, now
            )
        await uow.commit()
    if started:
        services.outbox_wakeup.set()
    return len(started)


async def _recheck_job(context: LiaisonContext) -> None:
    """Daily; the due days live in the database (`recheck_due_on`), so a day the bot was down is caught
    up by the next run."""
    try:
        await recheck_once(context.services)
    except Exception:
        log.exception("回头看 re-check run failed")


async def duty_reminders_once(services: Services) -> int:
    """Duty rosters (#24): remind tomorrow's deputies on duty (from 18:00, once each; quiet hours hold the
    message back) and lapse the swaps whose day went by; returns how many notices were queued."""
    now = services.clock.now()
    async with services.uow() as uow:
        notices = await DutyService(uow, services.settings.zone).remind_due(now)
        sent = await deliver_duty_notices(uow, notices, services.settings, services.policy, now)
        await uow.commit()
    if sent:
        services.outbox_wakeup.set()
    return sent


async def station_reminders_once(services: Services) -> int:
    """整改清单: remind each responsible person the day before an item's deadline, once per deadline
    (bot/stations/service.py `remind_due`); quiet hours hold the reminder back. Returns how many."""
    now, settings = services.clock.now(), services.settings
    async with services.uow() as uow:
        notes = await StationService(uow, zone=settings.timezone).remind_due(now)
        sent = await station_notices.deliver(uow, notes, settings, services.policy, now)
        await uow.commit()
    if sent:
        services.outbox_wakeup.set()
    return sent


async def _duty_job(context: LiaisonContext) -> None:
    try:
        await duty_reminders_once(context.services)
    except Exception:
        log.exception("duty reminders failed")


async def points_once(services: Services) -> int:
    """Performance points (#24): the current year's lines recomputed from the records (and, in January,
    last year's too: a December meeting may be recorded late); returns how many lines were written."""
    now = services.clock.now()
    async with services.uow() as uow:
        service = PointsService(uow, services.settings.zone)
        today = service.today(now)
        years = [today.year - 1, today.year] if today.month == 1 else [today.year]
        written = sum([await service.recompute(year, now) for year in years])
        await uow.commit()
    return written


async def _points_job(context: LiaisonContext) -> None:
    try:
        await points_once(context.services)
    except Exception:
        log.exception("points recompute failed")


async def _station_reminders_job(context: LiaisonContext) -> None:
    """The due days live in the database (`reminded_for`), so a restart or a missed run loses nothing."""
    try:
        await station_reminders_once(context.services)
    except Exception:
        log.exception("rectification reminders failed")


@dataclass
class Runtime:
    """The bot running: application, inbox (polling or webhook), outbox sender."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    pacing: Pacing = field(default_factory=Pacing)
    poll_timeout: int = 25
    migrate_on_start: bool = True
    sweep_every: float = 60.0
    digest_every: float = 300.0
    broadcast_every: float = 2.0  # start due notices, refresh progress messages
    purge_every: float = 3600.0  # delete what RETENTION_DAYS no longer keeps
    # 回头看 starts once a day at this local time (the congress's zone): not at night, since its card is urgent.
    recheck_at: time | None = time(9, 0)
    cosign_every: float = 900.0  # remind co-signers silent for three days (a day's precision is plenty)
    duty_every: float = 600.0  # remind tomorrow's deputies on duty, from 18:00 (bot/duty/service.py)
    # Performance points (#24): the year's lines recomputed nightly (local time); `/points` refreshes one
    # deputy's own, and staff's changes in the console the lines they touch.
    points_at: time | None = time(2, 30)
    station_reminders_every: float = 900.0  # remind rectification items due tomorrow

    async def start(self) -> None:
        redact.install(self.settings.bot_token)  # before the first call: every URL holds the token
        concurrency = self.settings.concurrency
        pool: dict[str, int] = {}
        if self.settings.on_postgres:
            # A connection per chat handled at once, a second for each one's tracking number
            # (CounterRepo.take), and room for polling, the outbox sender and the periodic jobs.
            pool = {"pool_size": 2 * concurrency + 5}
        self.engine = create_engine(self.settings.database_url, **pool)
        if self.migrate_on_start:
            await migrate.upgrade(self.engine)
        # Statistics, the dashboard and exports read on a thread of their own, so this loop keeps answering.
        reports = ReportWorker(self.settings.database_url)
        await reports.start()
        self.services = Services(self.settings, create_sessionmaker(self.engine), self.clock, reports=reports)
        self.application = build_application(self.services)
        await self.application.initialize()
        self.inbox = Inbox(self.application, self.services, concurrency=concurrency)
        self.sender = OutboxSender(
            self.application.bot,
            self.services.sessionmaker,
            wakeup=self.services.outbox_wakeup,
            clock=self.clock,
            pacing=with_paid_tier(self.pacing, self.settings),
            # One sender per bot on this database: a second process stands by (no double sends).
            lock=single_holder(self.engine.url, f"outbox-sender:{self.application.bot.id}"),
        )
        self.services.outbox_hand_over = self.sender.hand_over
        self.services.outbox_message_id = self.sender.message_id_for_ref
        # The sender first: after a crash, a notice half sent resumes before the rest of start-up.
        self._tasks = [asyncio.create_task(self.sender.run(), name="outbox")]
        await self.application.start()
        await publish_commands(self.application)
        if self.sweep_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(_sweep_job, interval=self.sweep_every, first=1.0)
        if self.digest_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(_digest_job, interval=self.digest_every, first=5.0)
        if self.purge_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(_purge_job, interval=self.purge_every, first=30.0)
        if self.broadcast_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(broadcast_job, interval=self.broadcast_every, first=1.0)
        if self.recheck_at is not None and self.application.job_queue is not None:
            at = self.recheck_at.replace(tzinfo=self.settings.zone)
            self.application.job_queue.run_daily(_recheck_job, time=at, name="recheck")
        if self.cosign_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(_cosign_job, interval=self.cosign_every, first=60.0)
        if self.duty_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(_duty_job, interval=self.duty_every, first=90.0)
        if self.points_at is not None and self.application.job_queue is not None:
            at = self.points_at.replace(tzinfo=self.settings.zone)
            self.application.job_queue.run_daily(_points_job, time=at, name="points")
        if self.station_reminders_every > 0 and self.application.job_queue is not None:
            self.application.job_queue.run_repeating(
                _station_reminders_job, interval=self.station_reminders_every, first=90.0
            )
        self._tasks.append(asyncio.create_task(self.inbox.run_processor(), name="inbox"))
        if not self.settings.webhook_mode:
            self._tasks.append(asyncio.create_task(self.inbox.run_polling(self.poll_timeout), name="polling"))
        log.info(
            "Liaison running as @%s (%s)",
            self.application.bot.username,
            "webhook" if self.settings.webhook_mode else "polling",
        )

    async def sweep(self) -> int:
        """Run the SLA sweep now (tests move the clock, then call this)."""
        return await sweep_once(self.services)

    async def purge(self) -> tuple[int, int]:
        """Run the retention purge now (tests move the clock, then call this)."""
        return await purge_once(self.services)

    async def cosign_reminders(self) -> int:
        """Remind silent co-signers now (tests move the clock, then call this)."""
        return await cosign_reminders_once(self.services)

    async def digest(self) -> int:
        """Send the daily digests that are due now (tests move the clock, then call this)."""
        return await digest_once(self.services)

    async def recheck(self) -> int:
        """Start the 回头看 re-checks that are due now (tests move the clock, then call this)."""
        return await recheck_once(self.services)

    async def duty_reminders(self) -> int:
        """Remind tomorrow's deputies on duty now (tests move the clock, then call this)."""
        return await duty_reminders_once(self.services)

    async def points(self) -> int:
        """Recompute the year's performance points now (tests move the clock, then call this)."""
        return await points_once(self.services)

    async def station_reminders(self) -> int:
        """Remind rectification items due tomorrow now (tests move the clock, then call this)."""
        return await station_reminders_once(self.services)

    async def due_work(self) -> int:
        """Every periodic job whose moment has come, at once (the demo's clock jumps past them); returns how
        many notices they queued. The retention purge is left to its hour."""
        done = await self.sweep()
        done += await self.digest()
        done += await self.cosign_reminders()
        done += await self.recheck()
        done += await self.duty_reminders()
        done += await self.station_reminders()
        return done

    async def stop(self) -> None:
        self.inbox.stop()
        self.sender.stop()
        for task in self._tasks:
            if task.get_name() == "polling":
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.application.stop()
        await self.application.shutdown()
        await self.services.reports.stop()
        await self.engine.dispose()
