"""The staff web console (aiohttp + Jinja2) on the bot's own web server, for the congress office PC.

- `web`: the sub-application (middlewares and routes), mounted by `bot.runtime.web.make_web_app` under
  `/console`.
- `pages`: the aiohttp handlers, one module per page family (`base`: rendering and downloads,
  `guard`: the middlewares, `login`, `opinions` with the dashboard, `suggestions`, `network`,
  `broadcasts`, `reports`: audit and statistics).
- `reads`: what the pages read, one module per page family, through the repositories
  (`storage.repos.console` holds the console's own queries).
- `reassign`: reassigning an opinion, through the opinion lifecycle.
- `station_actions`: staff's writes on a station's page (profile, "六有", rules, uploads, inspectors, an
  inspection, confirming or reopening a rectification item), through `bot.stations.service`.
- `assignment`: 交办 of suggestions (return, prepare, publish at the 交办会), through
  `bot.suggestions.assign.AssignmentService`, the notices delivered as the chat delivers them.
- `service`: `ConsoleService`, all the reads and the action as one object.
- `auth`: one-time login links from /console and server-side sessions (no passwords).
- `labels`, `suggestion_labels`: words for stored codes; `charts`, `export`: inline SVG charts and
  XLSX/CSV downloads.
"""
