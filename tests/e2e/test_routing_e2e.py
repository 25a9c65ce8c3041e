"""Routing end to end: every branch of the rule chain, the stored reason, and who gets the card.

The network (tests/data/network_e2e.yaml): V1 has D1 (agriculture, linked to C1) and D2 (transport);
V3 and T1 have no deputies, so V3 climbs to H1 (P1, M1); a constituent without a station goes to the
staff triage queue. Texts come from locales/*/LC_MESSAGES (msgids are English, zh_Hans translated).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from storage.models import Deputy, Person, Station
from tests.e2e.flows import TRACKING, opinion, started, submit, submitted
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]


async def deputy_id(runtime: Runtime, code: str) -> int:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
        )
    assert found is not None, code
    return int(found)


async def station_id(runtime: Runtime, code: str) -> int:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalar(select(Station.id).where(Station.code == code))
    assert found is not None, code
    return int(found)


async def add_duty_today(runtime: Runtime, deputy_code: str, station_code: str) -> None:
    """Put a deputy on the station's roster for the congress's local day (as the clock sees it)."""
    did, sid = await deputy_id(runtime, deputy_code), await station_id(runtime, station_code)
    today = runtime.services.policy.local_today(runtime.services.clock.now())
    async with runtime.services.uow() as uow:
        await uow.opinions.add_duty(did, sid, today)
        await uow.commit()


async def bound_to(user: SandboxUser, station: str, lang: str) -> None:
    """/start with a station deep link: the user now belongs to that station."""
    await user.start(payload=f"s_{station}")
    await user.receives(
        containing="您已关联联络站" if lang == "zh" else "You are now connected with the station"
    )


async def test_linked_contact_goes_to_the_linked_deputy_whatever_the_category(
    network: Runtime, people: Make
) -> None:
    sender, d1, d2 = people(301, "周小梅"), people(201, "孙建国"), people(202, "Wu", "en")
    await started(sender, d1)
    await started(d2, lang="en")
    # Transport is D2's field, but C1 is linked to D1: the link wins.
    tracking, receipt = await submitted(sender, "公交站没有候车亭", "交通出行")
    assert f"已提交，编号 {tracking}。已交给孙建国代表（丙村人大代表联络站），将在" in receipt
    card = await d1.receives(containing=tracking)
    assert "公交站没有候车亭" in card["text"]
    await sender.receives_nothing()  # the receipt said who holds it: no second message
    row = await opinion(network, tracking)
    assert row.route_reason == "linked_contact" and row.state == "routed"
    assert row.holder_deputy_id == await deputy_id(network, "D1")
    await d2.receives_nothing()


async def test_station_duty_beats_field_and_load(network: Runtime, people: Make) -> None:
    visitor, d1, d2 = people(410, "马值班"), people(201, "孙建国"), people(202, "Wu", "en")
    await started(d1)
    await started(d2, lang="en")
    await bound_to(visitor, "V1", "zh")
    await add_duty_today(network, "D2", "V1")
    # Education matches nobody's field; D2 is on duty today, so D2 takes it.
    tracking, receipt = await submitted(visitor, "学校周边缺少路灯", "教育")
    assert "已交给Deputy Wu代表" in receipt
    card = await d2.receives(containing=tracking)
    assert "学校周边缺少路灯" in card["text"] and "From: 马值班" in card["text"]
    row = await opinion(network, tracking)
    assert row.route_reason == "station_duty"
    assert row.holder_deputy_id == await deputy_id(network, "D2")
    # Agriculture is D1's field, but the deputy on duty still comes first.
    second = await submit(visitor, "秋收后秸秆焚烧没人管", "农业农村")
    await d2.receives(containing=second)
    assert (await opinion(network, second)).route_reason == "station_duty"
    await d1.receives_nothing()


async def test_duty_roster_is_read_by_the_local_day_not_utc(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    """At 00:30 in Shanghai it is still yesterday in UTC: the roster of the local day applies."""
    zone = network.services.policy.tz
    local = clock.now().astimezone(zone)
    target = (local + timedelta(days=1)).replace(hour=0, minute=30, second=0, microsecond=0)
    clock.advance(target - local)
    assert clock.now().astimezone(zone).date() != clock.now().date()  # the UTC date differs
    visitor, d2 = people(411, "Night", "en"), people(202, "Wu", "en")
    await started(d2, lang="en")
    await bound_to(visitor, "V1", "en")
    await add_duty_today(network, "D2", "V1")
    tracking = await submit(visitor, "The village gate light is off", "Education", lang="en")
    # The card is urgent (quiet hours do not hold it back); the sender's notice waits for the morning.
    await d2.receives(containing=tracking)
    row = await opinion(network, tracking)
    assert row.route_reason == "station_duty"


async def test_field_match_without_duty(network: Runtime, people: Make) -> None:
    en_user, zh_user = people(412, "Lee", "en"), people(413, "王农")
    d1, d2 = people(201, "孙建国"), people(202, "Wu", "en")
    await started(d1)
    await started(d2, lang="en")
    await bound_to(en_user, "V1", "en")
    await bound_to(zh_user, "V1", "zh")

    transport, receipt = await submitted(en_user, "Buses skip our stop after 6 pm", "Transport", lang="en")
    assert f"Submitted as {transport}. It is with deputy Deputy Wu (丙村人大代表联络站)" in receipt
    card = await d2.receives(containing=transport)
    assert "Buses skip our stop after 6 pm" in card["text"]
    row = await opinion(network, transport)
    assert row.route_reason == "field_match:transport"
    assert row.holder_deputy_id == await deputy_id(network, "D2")

    farm, receipt = await submitted(zh_user, "灌溉水渠堵塞", "农业农村")
    assert "已交给孙建国代表" in receipt
    card = await d1.receives(containing=farm)
    assert "灌溉水渠堵塞" in card["text"] and "农业农村" in card["text"]
    row = await opinion(network, farm)
    assert row.route_reason == "field_match:agriculture"
    assert row.holder_deputy_id == await deputy_id(network, "D1")


async def test_least_loaded_when_no_field_matches(network: Runtime, people: Make) -> None:
    visitor, d1, d2 = people(414, "刘多"), people(201, "孙建国"), people(202, "Wu", "en")
    await started(d1)
    await started(d2, lang="en")
    await bound_to(visitor, "V1", "zh")
    did1, did2 = await deputy_id(network, "D1"), await deputy_id(network, "D2")

    # D1 gets one open opinion (field match); with equal loads the lowest id (D1) would win.
    farm = await submit(visitor, "化肥价格上涨太快", "农业农村")
    await d1.receives(containing=farm)
    school = await submit(visitor, "学校食堂伙食差", "教育")
    await d2.receives(containing=school)
    row = await opinion(network, school)
    assert row.route_reason == "least_loaded" and row.holder_deputy_id == did2

    # Now D2 holds more (1 education + 2 transport) than D1 (1): education goes back to D1.
    for text in ("村道坑洼需要修补", "夜班公交太少"):
        await d2.receives(containing=await submit(visitor, text, "交通出行"))
    library = await submit(visitor, "希望建一个乡村图书室", "教育")
    await d1.receives(containing=library)
    row = await opinion(network, library)
    assert row.route_reason == "least_loaded" and row.holder_deputy_id == did1


async def test_parent_station_when_the_station_chain_below_has_no_deputies(
    network: Runtime, people: Make
) -> None:
    visitor, p1, m1 = people(415, "Far", "en"), people(101, "赵立新"), people(102, "Qian", "en")
    await started(p1)
    await started(m1, lang="en")
    await bound_to(visitor, "V3", "en")
    tracking, receipt = await submitted(visitor, "No deputy ever visits our village", "Education", lang="en")
    assert "It is with deputy" in receipt
    row = await opinion(network, tracking)
    # V3 and T1 have no deputies; at H1 P1 and M1 both have no load and no field: lowest id wins.
    assert row.route_reason == "parent_station:least_loaded"
    p1_id, m1_id = await deputy_id(network, "P1"), await deputy_id(network, "M1")
    assert row.holder_deputy_id == min(p1_id, m1_id)
    holder, other = (p1, m1) if row.holder_deputy_id == p1_id else (m1, p1)
    card = await holder.receives(containing=tracking)
    assert "No deputy ever visits our village" in card["text"]
    assert "戊村人大代表联络站" in card["text"]  # the card names the sender's station
    await other.receives_nothing()


async def test_no_station_goes_to_staff_triage(network: Runtime, people: Make) -> None:
    staff = people(900001, "办公室小张")
    await started(staff)  # an admin id: staff from the first contact
    sender = people(416, "Nomad", "en")
    await sender.start()
    await sender.receives(containing="Which liaison station is yours?")
    # The sender ignores the station prompt and just writes.
    tracking, receipt = await submitted(sender, "Where do I report a broken bridge?", "Other", lang="en")
    assert receipt.endswith(
        f"Submitted as {tracking}. It is with the congress office, who will find the deputy responsible."
    )
    notice = await staff.receives(containing="需要指定代表")
    assert TRACKING.search(notice["text"]) and tracking in notice["text"]
    assert notice["text"].startswith(f"📥 意见 {tracking}（其他）需要指定代表")
    row = await opinion(network, tracking)
    assert row.holder_deputy_id is None and row.route_reason == "no_station" and row.state == "routed"
    assert row.station_id is None
