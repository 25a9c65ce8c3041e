"""The one place the bot knows its handlers: every handler in one table, registered in group 0.

Order is precedence: in one group python-telegram-bot runs the first handler whose check matches,
so features come first, the dialog/draft catch-all next and the fallbacks last. No handler needs to
stop the update (`ApplicationHandlerStop`); updates from anything but a person's private chat never
get here (`bot.runtime.admission`). This is the only module of bot/ allowed to import handlers/.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.runtime.context import LiaisonApp, LiaisonContext
from handlers import (
    broadcast,
    console,
    constituent,
    deputy,
    duty,
    fallback,
    inspections,
    messages,
    points,
    receptions,
    staff_roles,
    start,
    stations,
    stats,
    suggestion_filing,
    suggestion_units,
    suggestions,
    supervise_suggestions,
    supervision,
)


def handlers() -> list[BaseHandler[object, LiaisonContext, object]]:  # type: ignore[type-var]
    """Every handler, in the order they are tried."""
    return [
        # An edit never reaches a feature (CommandHandler takes edited messages too: an edited /tasks ran).
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, messages.on_edit),
        CommandHandler("stats", stats.stats_command),
        stats.stats_pressed,
        CommandHandler("queue", supervision.queue),
        CommandHandler("overdue", supervision.overdue),
        supervision.assign_pressed,
        supervision.pick_pressed,
        supervision.remind_pressed,
        supervision.other_pressed,  # any other "sv:…": after the kinds above, whose prefixes it matches
        CommandHandler("broadcast", broadcast.broadcast_command),
        *broadcast.BUTTONS,
        # The reception diary (民情日记): "rd:d", "rd:s", "rd:st", "rd:c", "rd:ls" (distinct prefixes).
        CommandHandler("reception", receptions.reception_command),
        receptions.diary_pressed,
        receptions.step_pressed,
        receptions.station_picked,
        receptions.category_picked,
        receptions.list_pressed,
        # Stations (standards and inspection, "stn…"): the /station card, evidence, the /inspect form,
        # a rectification item's buttons. The kinds' patterns are anchored, so their order is free.
        CommandHandler("station", stations.station_command),
        CommandHandler("inspect", inspections.inspect_command),
        stations.station_pressed,
        stations.evidence_pressed,
        stations.done_pressed,
        inspections.station_picked,
        inspections.kind_pressed,
        inspections.day_pressed,
        inspections.due_pressed,
        inspections.who_pressed,
        inspections.form_pressed,
        inspections.item_pressed,
        # Suggestions (代表建议): the /suggest form and the co-signer's card ("sg:c", "sg:f", "sg:s").
        CommandHandler("suggest", suggestions.suggest_command),
        CommandHandler("suggestions", suggestions.suggestions_command),
        suggestions.category_pressed,
        suggestions.form_pressed,
        suggestions.cosign_pressed,
        suggestions.queue_pressed,  # 交办: "sg:q", "sg:k", "sg:p" (staff)
        suggestions.pick_pressed,
        suggestions.publish_pressed,
        suggestions.unit_pressed,  # "sg:u": the lead unit's task card
        suggestion_filing.merge_pressed,  # "sg:mg" (staff), "sg:fc" (the filer's card)
        suggestion_filing.filer_pressed,
        suggestion_filing.group_pressed,  # "sg:gr", "sg:dp": the /suggest form's group and paper deputy
        suggestion_filing.deputy_pressed,
        # 监督: /supervise, /ledger, the view's buttons and the 回头看 card ("sgv:a", "sgv:pg", "sgv:rc").
        CommandHandler("supervise", supervise_suggestions.supervise_command),
        CommandHandler("ledger", supervise_suggestions.ledger_command),
        supervise_suggestions.supervise_pressed,
        supervise_suggestions.page_pressed,
        supervise_suggestions.recheck_pressed,
        # 办理 ("sg:h…"): the officers' card and dialogs, the deputy's verdicts and ratings, staff's decisions.
        suggestion_units.task_pressed,
        suggestion_units.step_pressed,
        suggestion_units.verdict_pressed,
        suggestion_units.rate_pressed,
        suggestion_units.decision_pressed,
        # Duty rosters (进站值班, #24): /roster (head, staff), /duty, check-in and swaps ("dt:…").
        CommandHandler("roster", duty.roster_command),
        CommandHandler("duty", duty.duty_command),
        duty.month_pressed,
        duty.grid_pressed,
        duty.day_pressed,
        duty.weekly_pressed,
        duty.import_pressed,
        duty.nop_pressed,
        duty.check_in_pressed,
        duty.swap_start_pressed,
        duty.swap_ask_pressed,
        duty.swap_pressed,
        # Performance points (履职积分, #24): /points and its pages ("pt").
        CommandHandler("points", points.points_command),
        points.page_pressed,
        CommandHandler("console", console.console_command),
        # /start inv_… before the generic /start, which takes any argument.
        CommandHandler("start", staff_roles.start_invitation, filters=staff_roles.START_FILTER),
        # /start vis_… (a visitor's link from the reception diary), also before the generic /start.
        CommandHandler("start", receptions.start_visitor_link, filters=receptions.START_FILTER),
        CommandHandler("invite", staff_roles.invite),
        staff_roles.role_pressed,
        staff_roles.unit_pressed,  # "invu:…": its own prefix, not matched by "inv"'s pattern
        CommandHandler("start", constituent.start),
        CommandHandler("cancel", constituent.cancel),
        CommandHandler("help", start.help_command),
        CommandHandler("language", start.language),
        CommandHandler("my", constituent.my_opinions),
        CommandHandler("tasks", deputy.tasks),
        start.language_chosen,
        constituent.station_pressed,
        # The draft card's kinds share the family "dr": the longer prefixes before `DraftPress`.
        constituent.join_pressed,
        constituent.category_pressed,
        constituent.category_submit_pressed,
        constituent.draft_pressed,
        constituent.my_pressed,
        constituent.verdict_pressed,
        constituent.info_pressed,
        deputy.transfer_to_pressed,  # "op:to", "op:send", … before "op", which matches them too
        deputy.send_pressed,
        deputy.rewrite_pressed,
        deputy.cancel_pressed,
        deputy.open_card_pressed,
        deputy.card_pressed,
        constituent.follow_up_pressed,
        # Any other message (not a command): a dialog's awaited answer, or the constituent's draft.
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, messages.on_message),
        # Fallbacks: whatever no feature took.
        MessageHandler(filters.COMMAND, fallback.unknown_command),
        CallbackQueryHandler(fallback.stale_button),
    ]


def register_handlers(app: LiaisonApp) -> None:
    """Add the table to group 0 (call once, from `build_application`)."""
    app.add_handlers(handlers(), group=0)
