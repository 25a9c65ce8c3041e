"""/start, /help and language switching for a zh and an en user, through the sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.people.identity import Account, identify
from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from storage.models import Role
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]


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


# -- greeting by role (issue #22) ------------------------------------------------------------------

CONSTITUENT_GREETING = "帮您联系您的人大代表"
STATION_QUESTION = "您属于哪个联络站"


async def chat_menu(sandbox: Sandbox, chat_id: int) -> list[str]:
    """The commands the bot set for this chat (BotCommandScopeChat), once the outbox has sent them."""
    deadline = time.monotonic() + 5
    while not (menu := sandbox.commands("chat", chat_id=chat_id)) and time.monotonic() < deadline:
        await sandbox.wait_for_change(0.1)
    return [c["command"] for c in menu]


async def greeting_of(user: SandboxUser) -> str:
    await user.start()
    return str((await user.receives(containing="您好"))["text"])


async def test_each_role_gets_its_own_greeting_menu_and_no_station_question(
    sandbox: Sandbox, network: Runtime, people: Make
) -> None:
    staff, deputy, member, presidium = (
        people(900001, "小刘"),
        people(201, "孙建国"),
        people(102, "钱"),
        people(101, "赵"),
    )
    officer = people(404, "王科长")
    async with network.services.uow() as uow:
        await uow.people.grant(
            await identify(uow, Account(404, "王科长"), network.services.settings), Role.UNIT_OFFICER
        )
        await uow.commit()

    text = await greeting_of(staff)
    assert "您已登记为人大工作人员" in text and "/queue" in text and CONSTITUENT_GREETING not in text
    text = await greeting_of(deputy)
    assert "您已登记为人大代表" in text and "/tasks" in text and CONSTITUENT_GREETING not in text
    text = await greeting_of(member)
    assert "您已登记为常委会组成人员" in text and "您已登记为人大代表" in text
    text = await greeting_of(presidium)
    assert text.index("您已登记为主任会议成员") < text.index("您已登记为常委会组成人员")
    text = await greeting_of(officer)
    assert "您已登记为承办单位工作人员" in text and CONSTITUENT_GREETING not in text

    for official in (staff, deputy, member, presidium, officer):
        await official.receives_nothing()  # no station question, no station list
        assert sandbox.state.chats[official.id].keyboard is None  # and no location/phone keyboard
    assert {"queue", "overdue", "broadcast", "stats", "console", "invite"} <= set(
        await chat_menu(sandbox, 900001)
    )
    assert "tasks" not in await chat_menu(sandbox, 900001)
    assert {"tasks", "reception"} <= set(await chat_menu(sandbox, 201))
    assert not {"queue", "invite", "broadcast"} & set(await chat_menu(sandbox, 201))
    assert not {"tasks", "queue", "invite"} & set(await chat_menu(sandbox, 404))


async def test_only_an_unbound_constituent_is_asked_for_the_station_and_the_keyboard_goes_once_answered(
    sandbox: Sandbox, network: Runtime, people: Make
) -> None:
    bound, walker = people(301, "周小梅"), people(430, "林走")
    text = await greeting_of(bound)  # C1 has a station in the network file
    assert CONSTITUENT_GREETING in text
    await bound.receives_nothing()
    assert set(await chat_menu(sandbox, 301)) == {"my", "duty", "cancel", "language", "help", "start"}

    text = await greeting_of(walker)
    assert CONSTITUENT_GREETING in text
    await walker.receives(containing=STATION_QUESTION)
    keyboard = sandbox.state.chats[430].keyboard
    assert keyboard is not None  # one icon per button: the label's own
    assert [b["text"] for row in keyboard["keyboard"] for b in row] == [
        "📍 分享我的位置",
        "📱 分享我的手机号码",
    ]
    await walker.receives(containing="联络站：")
    await walker.send_location(25.81, 98.81)
    await walker.receives(containing="离您最近的联络站是丙村人大代表联络站")
    assert sandbox.state.chats[430].keyboard is None
    await walker.start()  # bound now: greeted, not asked again
    await walker.receives(containing=CONSTITUENT_GREETING)
    await walker.receives_nothing()


async def test_the_station_picker_has_back_at_every_level_and_a_pick_removes_the_keyboard(
    sandbox: Sandbox, network: Runtime, people: Make
) -> None:
    walker = people(431, "Walker", "en")
    await walker.start()
    await walker.receives(containing="Which liaison station is yours?")
    top = await walker.receives(containing="Stations:", where=lambda m: bool(m["reply_markup"]))
    top_labels = [b["text"] for row in top["reply_markup"]["inline_keyboard"] for b in row]
    assert top_labels == ["甲县人大代表之家"]  # the top level: nothing to go back to
    await walker.press("甲县人大代表之家", message_id=top["message_id"])
    home = await walker.receives(containing="Stations in 甲县人大代表之家")
    rows = home["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["text"] == "✔️ This one" and rows[-1][0]["text"] == "⬅️ Back"
    await walker.press("乙镇人大代表工作站", message_id=top["message_id"])
    town = await walker.receives(containing="Stations in 乙镇人大代表工作站")
    labels = [b["text"] for row in town["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[-1] == "⬅️ Back" and "丙村人大代表联络站" in labels
    await walker.press("⬅️ Back", message_id=top["message_id"])
    up = await walker.receives(containing="Stations in 甲县人大代表之家")
    assert up["message_id"] == top["message_id"]
    await walker.press("⬅️ Back", message_id=top["message_id"])
    again = await walker.receives(containing="Stations:")
    assert [b["text"] for row in again["reply_markup"]["inline_keyboard"] for b in row] == top_labels
    await walker.press("甲县人大代表之家", message_id=top["message_id"])
    await walker.receives(containing="Stations in 甲县人大代表之家")
    await walker.press("乙镇人大代表工作站", message_id=top["message_id"])
    await walker.receives(containing="Stations in 乙镇人大代表工作站")
    await walker.press("丙村人大代表联络站", message_id=top["message_id"])
    await walker.receives(containing="You are now connected with the station 丙村人大代表联络站")
    assert sandbox.state.chats[431].keyboard is not None  # the question's location/phone keyboard
    await walker.receives(containing="Now write your opinion here")
    assert sandbox.state.chats[431].keyboard is None


async def test_an_officials_location_joins_a_draft_instead_of_binding_a_station(
    network: Runtime, people: Make
) -> None:
    staff = people(900001, "小刘")
    await greeting_of(staff)
    await staff.send_location(25.81, 98.81)
    card = await staff.receives(containing="您的意见（草稿）")
    assert "📍 位置" in card["text"]
    async with network.services.uow() as uow:
        person = await uow.people.by_telegram_id(900001)
        assert person is not None and person.station_id is None
