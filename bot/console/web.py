"""The console as an aiohttp sub-application: its middlewares, its routes and their handlers' modules.

Mounted by `bot.runtime.web.make_web_app` under `/console` on the bot's own web server. Each request
passes `pages.guard` (one unit of work, the session, staff and CSRF checks) and one handler of
`bot.console.pages`; pages are Jinja2 templates with autoescaping, nothing runs in the page (no script
at all) and nothing is loaded from elsewhere (strict CSP).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.console.pages import (
    broadcasts,
    duty,
    login,
    network,
    opinions,
    points,
    points_rules,
    reports,
    stations,
    suggestion_decisions,
    suggestions,
)
from bot.console.pages.base import CONSOLE_RUNTIME, COOKIE, HERE, ROOT, TEMPLATES, environment, redirect
from bot.console.pages.guard import guard, security_headers

if TYPE_CHECKING:
    from bot.runtime.app import Runtime

__all__ = ["COOKIE", "ROOT", "make_console_app"]


async def to_root(request: web.Request) -> web.StreamResponse:
    return redirect(f"{ROOT}/")


def make_console_app(runtime: Runtime) -> web.Application:
    """The console as a sub-application (mount it at ROOT: `app.add_subapp(ROOT, ...)`)."""
    # stations.upload_limit before the guard: the guard reads the form, which may carry a file.
    app = web.Application(middlewares=[security_headers, stations.upload_limit, guard])
    app[CONSOLE_RUNTIME] = runtime
    app[TEMPLATES] = environment()
    r = app.router
    r.add_get("", to_root)
    r.add_get("/", opinions.dashboard)
    r.add_get("/welcome", login.welcome)
    r.add_get("/login/{token}", login.login_page)
    r.add_post("/login/{token}", login.login_open)
    r.add_post("/logout", login.logout)
    r.add_post("/language", login.set_language)
    r.add_get("/opinions", opinions.opinions)
    r.add_get("/opinions/{opinion_id}", opinions.opinion)
    r.add_post("/opinions/{opinion_id}/reassign", opinions.reassign)
    r.add_get("/suggestions", suggestions.suggestions)
    r.add_get("/suggestions/publish", suggestions.publish_confirm)
    r.add_post("/suggestions/publish", suggestions.publish)
    r.add_get(r"/suggestions/{suggestion_id:\d+}", suggestions.suggestion)
    r.add_post(r"/suggestions/{suggestion_id:\d+}/return", suggestions.return_suggestion)
    r.add_post(r"/suggestions/{suggestion_id:\d+}/prepare", suggestions.prepare_suggestion)
    # The decisions after 交办, and the 立项—督办—销号 ledger (pages/suggestion_decisions.py).
    one = r"/suggestions/{suggestion_id:\d+}"
    r.add_post(f"{one}/merge", suggestion_decisions.merge)
    r.add_post(f"{one}/extension", suggestion_decisions.grant_extension)
    r.add_post(f"{one}/deny-extension", suggestion_decisions.deny_extension)
    r.add_post(f"{one}/reassign", suggestion_decisions.reassign)
    r.add_post(f"{one}/deny-reassign", suggestion_decisions.deny_reassign)
    r.add_post(f"{one}/close", suggestion_decisions.close)
    r.add_post(f"{one}/conclude-recheck", suggestion_decisions.conclude_recheck)
    r.add_get("/suggestions/ledger", suggestion_decisions.ledger_export)
    r.add_get("/network", network.network)
    r.add_get("/duty", duty.duty)  # duty rosters (#24)
    r.add_post("/duty/add", duty.add_days)
    r.add_post("/duty/remove", duty.remove_day)
    r.add_post("/duty/import", duty.import_sheet)
    # Performance points (履职积分, #24): the ranking and yearly table, a deputy's lines, the rules, meetings.
    r.add_get("/points", points.points)
    r.add_post("/points/recompute", points.recompute)
    r.add_get(r"/points/deputy/{deputy_id:\d+}", points.deputy)
    r.add_post(r"/points/deputy/{deputy_id:\d+}/adjust", points.adjust)
    r.add_get("/points/rules", points_rules.rules)
    r.add_post("/points/rules/edit", points_rules.edit_rule)
    r.add_post("/points/rules/copy", points_rules.copy_rules)
    r.add_get("/points/activities", points_rules.activities)
    r.add_post("/points/activities", points_rules.record_activity)
    r.add_get(r"/points/activities/{activity_id:\d+}", points_rules.activity)
    r.add_post(r"/points/activities/{activity_id:\d+}/attendees", points_rules.add_attendees)
    r.add_post(r"/points/attendance/{attendance_id:\d+}/remove", points_rules.remove_attendance)
    # Stations: profile, 六有, rules, files, inspectors, inspections and the rectification list.
    r.add_get("/stations", stations.stations)
    r.add_get(r"/stations/{station_id:\d+}", stations.station)
    r.add_post(r"/stations/{station_id:\d+}/profile", stations.save_profile)
    r.add_post(r"/stations/{station_id:\d+}/standards", stations.save_standards)
    r.add_post(r"/stations/{station_id:\d+}/rules", stations.add_rule)
    r.add_post(r"/stations/{station_id:\d+}/rules/{rule_id:\d+}", stations.edit_rule)
    r.add_post(r"/stations/{station_id:\d+}/files", stations.upload)
    r.add_get(r"/stations/{station_id:\d+}/files/{file_id:\d+}", stations.station_file)
    r.add_post(r"/stations/{station_id:\d+}/inspectors", stations.add_inspector)
    r.add_post(r"/stations/{station_id:\d+}/inspectors/{person_id:\d+}/remove", stations.remove_inspector)
    r.add_post(r"/stations/{station_id:\d+}/inspections", stations.record_inspection)
    r.add_post(
        r"/stations/{station_id:\d+}/items/{item_id:\d+}/{action:confirm|reopen}", stations.item_action
    )
    r.add_get("/broadcasts", broadcasts.broadcasts)
    r.add_get("/broadcasts/{broadcast_id}", broadcasts.broadcast)
    r.add_get("/audit", reports.audit)
    r.add_get("/stats", reports.statistics)
    r.add_get("/stats/suggestions", reports.suggestion_report)
    r.add_static("/static/", HERE / "static")
    return app
