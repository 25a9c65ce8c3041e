"""The console's aiohttp handlers, one module per page family (thin like the chat handlers: parse,
authorise, call the family's reads, render); `bot.console.web` puts them on their routes.

- `base`: the request's keys, language, rendering, redirects, refusal pages, links, file downloads.
- `guard`: the middlewares (security headers; unit of work, session, staff and CSRF checks).
- `login`: the one-time link's two steps, the welcome page, logging out, the console's language.
- `opinions`: the dashboard, the opinion list, one opinion, reassigning it.
- `suggestions`: the suggestion list (counts per state, colours, exports), one suggestion with its ledger
  and 三见面, the 交办 forms and the 交办会.
- `network`: stations, deputies and contact links.
- `stations`: the station list and one station's page (profile, "六有", rules, files, inspectors, an
  inspection, the rectification list; the three ledgers together), serving the station's files.
- `broadcasts`: the notices and one notice's report.
- `reports`: the audit log and the statistics report.
"""
