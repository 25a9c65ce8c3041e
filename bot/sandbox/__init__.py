"""Local stand-in for the Telegram Bot API, for tests, demos and benchmarks.

Usage::

    from bot.sandbox import Sandbox

    sandbox = Sandbox(flood_limits=False)
    url = await sandbox.start(host="127.0.0.1", port=0)
    app = Application.builder().token(sandbox.bot_token).base_url(f"{url}/bot") \
        .base_file_url(f"{url}/file/bot").build()
    ...
    await sandbox.stop()
"""

from .formatting import EntityParseError, FormattedText, parse_text, utf16_len
from .limits import Fault
from .server import DEFAULT_TOKEN, Sandbox
from .state import Violation
from .validation import ApiError, Spec, load_spec

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "EntityParseError",
    "Fault",
    "FormattedText",
    "Sandbox",
    "Spec",
    "Violation",
    "load_spec",
    "parse_text",
    "utf16_len",
]
