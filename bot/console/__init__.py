"""The staff web console (aiohttp + Jinja2) on the bot's own web server, for the congress office PC.

- `auth`: one-time login links from /console and server-side sessions (no passwords).
- `service`: what the pages show and the one action they take (reassigning an opinion).
- `charts`, `export`: inline SVG charts and XLSX/CSV downloads.
- `web`: the aiohttp routes, mounted by `bot.runtime.web.make_web_app` under `/console`.
"""
