"""Helpers for tests that drive the bot through the local Bot API sandbox."""

from .idle import runtime_probe, wait_idle, watching
from .sandbox_kit import (
    PressResult,
    SandboxUser,
    application_builder,
    assert_no_violations,
    format_transcript,
    make_bot,
    running_sandbox,
)

__all__ = [
    "PressResult",
    "SandboxUser",
    "application_builder",
    "assert_no_violations",
    "format_transcript",
    "make_bot",
    "running_sandbox",
    "runtime_probe",
    "wait_idle",
    "watching",
]
