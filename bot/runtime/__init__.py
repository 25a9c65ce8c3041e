"""The bot running: settings, the clock, the Application and its wiring (the one module that knows
handlers/), the durable inbox and outbox, the Bot API transport, the web server, the CLI and the demo.

Owns how updates come in and messages go out; the rules live in the domain packages.
"""
