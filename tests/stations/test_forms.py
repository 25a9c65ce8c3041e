"""The /inspect form as the chat keeps it: each step in order, wrong-step answers refused, the choices it
did not offer refused, its data surviving the chat session and damaged data read as no form; and what
the console's uploads may be."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.stations.files import UploadProblem, served, sniff_image, upload
from bot.stations.forms import FORM_TTL, InspectionForm, Step
from bot.stations.records import FileDraft
from bot.stations.standards import InspectionKind, Invalid, Problem, check_due, parse_point
from storage.models.stations import FileKind

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003"
    "0101005c5ed0840000000049454e44ae426082"
)


def walked() -> InspectionForm:
    form = InspectionForm(7, NOW)
    assert form.choose_station(3, {3, 4}, NOW) is None
    assert form.toggle_kind(InspectionKind.FILES, NOW) is None
    assert form.kinds_done(NOW) is None
    assert form.type_day("２０２６-03-09", TODAY, NOW) is None  # full-width digits too
    assert form.type_findings("  档案不全  ", NOW) is None
    assert form.add_file(FileDraft(FileKind.PHOTO, "tg-1", "u1", caption="屋顶"), NOW) is None
    assert form.files_done(NOW) is None
    assert form.type_item("补齐档案", NOW) is None
    assert form.choose_due(TODAY + timedelta(days=7), TODAY, NOW) is None
    assert form.choose_who(11, {11, 12}, NOW) is None
    assert form.items_done(NOW) is None
    return form


def test_the_steps_in_order_make_a_draft() -> None:
    form = walked()
    assert form.step is Step.CONFIRM
    draft = form.draft()
    assert not isinstance(draft, Invalid)
    assert (draft.station_id, draft.inspector_person_id, draft.held_on, draft.kinds) == (
        3,
        7,
        date(2026, 3, 9),
        ("files",),
    )
    assert draft.findings == "档案不全" and draft.dialog_key == form.key and draft.source == "chat"
    assert [(i.text, i.due_on, i.responsible_person_id) for i in draft.items] == [
        ("补齐档案", TODAY + timedelta(days=7), 11)
    ]
    assert [(f.telegram_file_id, f.caption) for f in draft.files] == [("tg-1", "屋顶")]


def test_refusals_at_each_step() -> None:
    form = InspectionForm(7, NOW)
    assert form.choose_station(9, {3}, NOW) == Invalid(Problem.NOT_OFFERED)
    assert form.type_findings("x", NOW) == Invalid(Problem.WRONG_STEP)
    assert form.draft() == Invalid(Problem.WRONG_STEP)
    form.choose_station(3, {3}, NOW)
    assert form.kinds_done(NOW) == Invalid(Problem.NO_KIND)
    form.toggle_kind(InspectionKind.VISITS, NOW)
    form.toggle_kind(InspectionKind.VISITS, NOW)  # ticked and unticked
    assert form.kinds == [] and form.kinds_done(NOW) == Invalid(Problem.NO_KIND)
    form.toggle_kind(InspectionKind.SPOT_CHECK, NOW)
    form.kinds_done(NOW)
    assert form.type_day("明天", TODAY, NOW) == Invalid(Problem.NOT_A_DATE)
    assert form.type_day("2026-03-11", TODAY, NOW) == Invalid(Problem.FUTURE)
    assert form.type_day("2024-01-01", TODAY, NOW) == Invalid(Problem.TOO_OLD, 366)
    form.type_day("2026-03-10", TODAY, NOW)
    assert form.type_findings(" \x00 ", NOW) == Invalid(Problem.EMPTY)
    assert form.type_findings("😀" * 1001, NOW) == Invalid(Problem.TOO_LONG, 2000, 2002)  # UTF-16 units
    form.type_findings("ok", NOW)
    form.files_done(NOW)
    form.type_item("x", NOW)
    assert form.choose_due(TODAY, TODAY, NOW) == Invalid(Problem.NOT_AFTER_TODAY)
    assert form.type_due("2027-06-01", TODAY, NOW) == Invalid(Problem.TOO_FAR, 366)
    form.type_due("2026-03-20", TODAY, NOW)
    assert form.choose_who(99, {11}, NOW) == Invalid(Problem.NOT_OFFERED)


def test_the_form_survives_the_chat_session_and_damage_reads_as_none() -> None:
    form = walked()
    again = InspectionForm.from_dict(form.to_dict())
    assert again == form
    assert not form.expired(NOW + FORM_TTL) and form.expired(NOW + FORM_TTL + timedelta(seconds=1))
    for damaged in (
        None,
        [],
        {"touched": "x"},
        {**form.to_dict(), "step": "nope"},
        {**form.to_dict(), "inspector": "7"},
    ):
        assert InspectionForm.from_dict(damaged) is None
    kept = InspectionForm.from_dict(
        {**form.to_dict(), "kinds": ["files", "guess"], "items": [{"text": 1}], "files": [{"kind": "x"}]}
    )
    assert kept is not None and (kept.kinds, kept.items, kept.files) == (["files"], [], [])


def test_uploads_are_photos_only_when_their_bytes_are_images() -> None:
    assert sniff_image(PNG) == "image/png" and sniff_image(b"<svg onload=alert(1)>") is None
    photo = upload(PNG, "../../etc/a.png", "text/html", "说明")
    assert (photo.kind, photo.mime_type, photo.file_name) == (FileKind.PHOTO, "image/png", "a.png")
    page = upload(b"<html>", 'x"y.html', "text/html", None)
    assert (page.kind, page.mime_type, page.file_name) == (FileKind.DOCUMENT, "text/html", "xy.html")
    assert upload(b"%PDF", "a.pdf", "not a type", None).mime_type == "application/octet-stream"
    for data, reason in ((b"", "empty"), (b"0" * (10 * 1024 * 1024 + 1), "too_large")):
        with pytest.raises(UploadProblem) as refused:
            upload(data, "x", None, None)
        assert refused.value.reason == reason
    assert served(PNG, "a.png", "f").content_type == "image/png"
    shown = served(b"<html>", "页面.html", "f")
    assert shown.content_type == "application/octet-stream"
    assert (
        shown.headers["Content-Disposition"]
        == "attachment; filename=\"__.html\"; filename*=UTF-8''%E9%A1%B5%E9%9D%A2.html"
    )


def test_typed_checks() -> None:
    assert parse_point("", " ") is None
    assert parse_point("25.8", "98.8") == (25.8, 98.8)
    for lat, lon in (("25.8", ""), ("91", "0"), ("0", "181"), ("nan", "1"), ("x", "1")):
        assert parse_point(lat, lon) == Invalid(Problem.BAD_POINT)
    assert check_due(TODAY + timedelta(days=366), TODAY) == TODAY + timedelta(days=366)
