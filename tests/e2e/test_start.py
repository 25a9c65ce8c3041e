"""/start, /help and language switching for a zh and an en user, through the sandbox."""

from __future__ import annotations

from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from tests.kit import SandboxUser


async def test_start_greets_in_telegram_language(sandbox: Sandbox, liaison: Runtime) -> None:
    zh = SandboxUser.create(sandbox, first_name="李<四>", language_code="zh-hans")
    en = SandboxUser.create(sandbox, first_name="Ann & Bob", language_code="en")
    await zh.start()
    await en.start()
    await zh.receives(containing="李<四>，您好！我是代表联络助手")
    await en.receives(containing="Hello, Ann & Bob! I am Liaison")


async def test_language_switch_is_saved(sandbox: Sandbox, liaison: Runtime) -> None:
    user = SandboxUser.create(sandbox, first_name="Wang", language_code="en")
    await user.command("language")
    await user.receives(containing="Choose your language")
    press = await user.press("中文")
    assert (await press.answer()).get("text") in (None, "")
    await user.receives(containing="之后我将用中文与您交流")
    await user.command("help")
    await user.receives(containing="我能做的事")
    # and back
    await user.command("language")
    await user.receives(containing="请选择语言")
    await user.press("English")
    await user.receives(containing="I will speak English with you from now on.")
    await user.start()
    await user.receives(containing="Hello, Wang!")


async def test_unknown_command_and_forged_language(sandbox: Sandbox, liaison: Runtime) -> None:
    user = SandboxUser.create(sandbox, first_name="Zhao", language_code="zh-hans")
    await user.command("nosuchthing")
    await user.receives(containing="我不认识这个命令")
    await user.command("language")
    msg = await user.receives(containing="请选择语言")
    forged = await user.press(data="lang:klingon", message_id=msg["message_id"], forge=True)
    assert "失效" in (await forged.answer()).get("text", "")
    stale = await user.press(data="zz:1", message_id=msg["message_id"], forge=True)
    assert "失效" in (await stale.answer()).get("text", "")


async def test_default_command_menus_per_language(sandbox: Sandbox, liaison: Runtime) -> None:
    zh = sandbox.commands(language_code="zh")
    en = sandbox.commands(language_code="en")
    assert any(c["command"] == "language" and c["description"] == "选择语言" for c in zh)
    assert any(c["command"] == "language" and c["description"] == "Choose your language" for c in en)


async def test_help_lists_the_commands_of_the_persons_roles(sandbox: Sandbox, liaison: Runtime) -> None:
    """/help is the person's command menu spelled out: a constituent sees no staff commands."""
    resident = SandboxUser.create(sandbox, first_name="Qian", language_code="en")
    await resident.command("help")
    text = (await resident.receives(containing="What I can do"))["text"]
    assert "/my – My opinions" in text and "/language" in text
    assert "/broadcast" not in text and "/tasks" not in text and "/console" not in text

    staff = SandboxUser.create(sandbox, first_name="Sun", language_code="en", user_id=900001)
    await staff.command("help")
    text = (await staff.receives(containing="What I can do"))["text"]
    for command in ("/queue", "/overdue", "/broadcast", "/stats", "/console", "/invite"):
        assert command in text, command
