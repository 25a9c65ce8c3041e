"""The Bot API side of the sandbox: what each method does to the in-memory state.

Parameters reach these handlers already validated and coerced by ``validation.Spec``; handlers add
the semantic checks Telegram makes (chat exists, user started the bot, text length after entity
parsing, message not modified...) and return Bot API objects that python-telegram-bot accepts.
"""

from __future__ import annotations

import contextvars
import io
import random
import re
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .formatting import EntityParseError, FormattedText, parse_text, utf16_len
from .limits import FloodLimiter, RollingWindowLimiter
from .state import MESSAGE_KINDS, ChatRecord, FileRecord, State, StoredMessage, WebhookConfig, clone, now
from .validation import ApiError, FileUpload, Spec, bad_request

__all__ = ["BotApi", "Described", "connection_alive", "make_png"]

# Set by the HTTP layer: tells a long poll whether its client is still there.
connection_alive: contextvars.ContextVar[Callable[[], bool]] = contextvars.ContextVar(
    "connection_alive", default=lambda: True
)

Handler = Callable[[dict[str, Any], dict[str, Any]], Awaitable[Any]]

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CONTENT_KEYS = (*MESSAGE_KINDS, "entities", "caption", "caption_entities", "link_preview_options")


@dataclass
class Described:
    """A result that also carries Telegram's optional "description" (setWebhook does this)."""

    result: Any
    description: str


def make_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A tiny but valid PNG, so bots that open user photos with Pillow do not choke."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of an uploaded image (PNG/JPEG via Pillow); a default if it is not an image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except Exception:
        return 320, 240


class BotApi:
    """Handlers for Bot API methods, keyed by canonical method name."""

    def __init__(
        self,
        state: State,
        spec: Spec,
        flood: FloodLimiter | RollingWindowLimiter | None,
        callback_ttl: float = 15.0,
    ) -> None:
        self.state = state
        self.spec = spec
        self.flood = flood
        self.callback_ttl = callback_ttl
        # Set while the sandbox stops: a long poll answers at once instead of holding the server's
        # shutdown to its timeout (1 s after every test whose bot polled).
        self.closing = False
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.true,
            "close": self.true,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendVoice": self.send_voice,
            "sendLocation": self.send_location,
            "sendMediaGroup": self.send_media_group,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
        }

    async def call(self, method: str, params: dict[str, Any], raw: dict[str, Any]) -> Any:
        handler = self.handlers.get(method)
        if handler is None:
            return await self.generic(params, raw, method)
        return await handler(params, raw)

    # ---------------------------------------------------------------------------- helpers

    async def true(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        return True

    def resolve_chat(self, chat_id: int | str) -> ChatRecord:
        """A chat the bot knows; @username works for groups/channels only, as in Telegram."""
        st = self.state
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for chat in st.chats.values():
                if chat.user is None and chat.username and chat.username.lower() == name:
                    return chat
            raise bad_request("chat not found")
        chat = st.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def send_target(self, chat_id: int | str) -> ChatRecord:
        """The chat to send to, refusing users who never started or who blocked the bot."""
        chat = self.resolve_chat(chat_id)
        if chat.user is not None:
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def formatted(
        self,
        p: dict[str, Any],
        key: str,
        *,
        limit: int,
        required: bool,
        ents_key: str | None = None,
        mode_key: str = "parse_mode",
    ) -> FormattedText | None:
        """Parse text/caption into plain text + entities and apply Telegram's length limits."""
        ents_key = ents_key or ("entities" if key == "text" else f"{key}_entities")
        raw_text = p.get(key)
        if raw_text is None:
            if required:
                raise bad_request("message text is empty")
            return None
        if p.get(ents_key) is not None:
            ft = FormattedText(raw_text, [dict(e) for e in p[ents_key]])
            size = utf16_len(raw_text)
            for e in ft.entities:
                if e["offset"] < 0 or e["length"] < 0 or e["offset"] + e["length"] > size:
                    raise bad_request("can't parse entities: entity is out of the text bounds")
            ft = FormattedText(ft.text, [e for e in ft.entities if e["length"] > 0])
        else:
            try:
                ft = parse_text(raw_text, p.get(mode_key))
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            except ValueError:
                raise bad_request(f'unsupported parse_mode "{p.get(mode_key)}"') from None
        if key == "text":
            if not ft.text.strip():
                raise bad_request("message text is empty")
            if utf16_len(ft.text) > limit:
                raise bad_request("message is too long")
        elif utf16_len(ft.text) > limit:
            raise bad_request("message caption is too long")
        return ft

    def check_flood(self, chat: ChatRecord, p: dict[str, Any] | None = None, *, edit: bool = False) -> None:
        if self.flood is None or (edit and not self.flood.counts_edits):
            return
        paid = bool(p and p.get("allow_paid_broadcast"))
        retry = self.flood.check(chat.id, chat.type == "private", paid)
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def deliver(
        self,
        chat: ChatRecord,
        content: dict[str, Any],
        p: dict[str, Any],
        *,
        flood_checked: bool = False,
    ) -> StoredMessage:
        """Store a bot message with reply/markup handling and return it."""
        reply_to: dict[str, Any] | None = None
        rp = p.get("reply_parameters")
        if rp:
            target = chat.messages.get(rp["message_id"])
            if target is None or target.deleted:
                if not rp.get("allow_sending_without_reply"):
                    raise bad_request("message to be replied not found")
            else:
                reply_to = clone(target.data)
                reply_to.pop("reply_to_message", None)
        if not flood_checked:
            self.check_flood(chat, p)
        mid = chat.take_message_id()
        data: dict[str, Any] = {
            "message_id": mid,
            "from": dict(self.state.bot_user),
            "chat": chat.as_chat(),
            "date": now(),
            **content,
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        if p.get("protect_content"):
            data["has_protected_content"] = True
        keyboard = None
        markup = p.get("reply_markup")
        if markup is not None:
            if "inline_keyboard" in markup:
                data["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
            else:
                keyboard = markup
                chat.keyboard = None if markup.get("remove_keyboard") else markup
        msg = StoredMessage(chat.id, mid, True, data, keyboard=keyboard)
        return self.state.store_message(chat, msg)

    def input_file(self, value: Any, raw: dict[str, Any], kind: str, name: str) -> FileRecord:
        """An InputFile param: an upload (direct or attach://), an existing file_id or an HTTP URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            part = raw.get(value[len("attach://") :])
            if not isinstance(part, FileUpload):
                raise bad_request(f"wrong file identifier/HTTP URL specified (no file part for {value})")
            value = part
        if isinstance(value, FileUpload):
            return self.store_upload(value, kind)
        if isinstance(value, str):
            rec = self.state.files.get(value)
            if rec is not None:
                if kind == "photo" and rec.kind != "photo":
                    raise bad_request(f"can't use file of type {rec.kind.capitalize()} as Photo")
                return rec
            if re.match(r"^https?://\S+$", value):
                data = make_png(64, 64) if kind == "photo" else b"downloaded by the sandbox\n"
                fname = value.rsplit("/", 1)[-1] or "file"
                return self.state.new_file(kind, data, "png" if kind == "photo" else "bin", file_name=fname)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def store_upload(self, up: FileUpload, kind: str) -> FileRecord:
        if not up.data:
            raise bad_request("file must be non-empty")
        ext = up.filename.rsplit(".", 1)[-1].lower() if "." in up.filename else "bin"
        if kind == "photo":
            w, h = image_size(up.data)
            return self.state.new_file(
                "photo", up.data, "jpg" if ext not in ("png", "jpg") else ext, width=w, height=h
            )
        mime = up.content_type if up.content_type != "application/octet-stream" else None
        if kind == "voice":
            return self.state.new_file("voice", up.data, "oga", mime_type=mime or "audio/ogg", duration=1)
        return self.state.new_file(kind, up.data, ext, mime_type=mime, file_name=up.filename)

    @staticmethod
    def media_dict(rec: FileRecord, p: dict[str, Any] | None = None) -> Any:
        """The Bot API object describing a stored file as the given kind of media."""
        p = p or {}
        base = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id, "file_size": len(rec.data)}
        if rec.kind == "photo":
            return [{**base, "width": rec.width or 320, "height": rec.height or 240}]
        if rec.kind == "voice":
            return {
                **base,
                "duration": p.get("duration") or rec.duration or 1,
                "mime_type": rec.mime_type or "audio/ogg",
            }
        if rec.kind in ("video", "animation"):
            return {
                **base,
                "width": p.get("width") or 320,
                "height": p.get("height") or 240,
                "duration": p.get("duration") or 1,
            }
        if rec.kind == "audio":
            return {**base, "duration": p.get("duration") or 1}
        if rec.kind == "video_note":
            return {**base, "length": p.get("length") or 240, "duration": p.get("duration") or 1}
        if rec.kind == "sticker":
            return {
                **base,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        out = dict(base)
        if rec.file_name:
            out["file_name"] = rec.file_name
        if rec.mime_type:
            out["mime_type"] = rec.mime_type
        return out

    def caption_content(self, p: dict[str, Any]) -> dict[str, Any]:
        ft = self.formatted(p, "caption", limit=1024, required=False)
        if ft is None or not ft.text:
            return {}
        out: dict[str, Any] = {"caption": ft.text}
        if ft.entities:
            out["caption_entities"] = ft.entities
        return out

    def find_message(self, p: dict[str, Any], what: str) -> tuple[ChatRecord, StoredMessage]:
        """The message an edit targets; inline messages are not modelled."""
        if "inline_message_id" in p and "chat_id" not in p:
            raise bad_request("MESSAGE_ID_INVALID")
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        if "message_id" not in p:
            raise bad_request("message identifier is not specified")
        chat = self.resolve_chat(p["chat_id"])
        msg = chat.messages.get(p["message_id"])
        if msg is None or msg.deleted:
            raise bad_request(f"message to {what} not found")
        return chat, msg

    def apply_edit(
        self, chat: ChatRecord, msg: StoredMessage, changes: dict[str, Any], markup: Any
    ) -> dict[str, Any]:
        """Apply an edit unless nothing changes (Telegram's "message is not modified")."""
        self.check_flood(chat, edit=True)  # the strict model counts edits as sends
        new = dict(msg.data)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        if markup is not None and "inline_keyboard" in markup:
            new["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        else:
            new.pop("reply_markup", None)
        if all(new.get(k) == msg.data.get(k) for k in (*CONTENT_KEYS, "reply_markup")):
            raise bad_request(NOT_MODIFIED)
        new["edit_date"] = now()
        msg.data = new
        msg.edited = True
        self.state.event(chat, "edit", msg.message_id, {"message": msg.snapshot()})
        return clone(new)

    # ---------------------------------------------------------------------- basic methods

    async def get_me(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.bot_user)

    async def get_updates(self, p: dict[str, Any], raw: dict[str, Any]) -> list[dict[str, Any]]:
        st = self.state
        if st.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            st.allowed_updates = list(p["allowed_updates"]) or None
        if "offset" in p:
            st.confirm_updates(p["offset"])
        limit = min(max(p.get("limit", 100), 1), 100)
        timeout = max(p.get("timeout", 0), 0)
        token = object()
        st.poller = token
        st.updates_signal.fire()  # wake an older poller so it learns it was superseded
        deadline = time.monotonic() + timeout
        alive = connection_alive.get()
        while True:
            if self.closing:
                return []
            if st.poller is not token:
                if alive():
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    )
                return []
            if st.webhook is not None:
                return []
            ready = [u for u in st.updates if st.update_allowed(next(k for k in u if k != "update_id"))][
                :limit
            ]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                if st.poller is token:
                    st.poller = None
                return clone(ready)
            await st.updates_signal.wait(remaining)

    async def set_webhook(self, p: dict[str, Any], raw: dict[str, Any]) -> Described:
        st = self.state
        url = p["url"]
        if url == "":
            return await self.delete_webhook(p, raw)
        if not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            st.updates.clear()
            st.updates_gone()
        if "allowed_updates" in p:
            st.allowed_updates = list(p["allowed_updates"]) or None
        same = st.webhook is not None and st.webhook.url == url
        st.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=p.get("max_connections", 40),
            ip_address=p.get("ip_address"),
        )
        st.updates_signal.fire()
        return Described(True, "Webhook is already set" if same else "Webhook was set")

    async def delete_webhook(self, p: dict[str, Any], raw: dict[str, Any]) -> Described:
        st = self.state
        if p.get("drop_pending_updates"):
            st.updates.clear()
            st.updates_gone()
        was = st.webhook is not None
        st.webhook = None
        st.updates_signal.fire()
        return Described(True, "Webhook was deleted" if was else "Webhook is already deleted")

    async def get_webhook_info(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        st = self.state
        info: dict[str, Any] = {
            "url": st.webhook.url if st.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(st.updates),
        }
        if st.webhook is not None:
            info["max_connections"] = st.webhook.max_connections
            if st.webhook.ip_address:
                info["ip_address"] = st.webhook.ip_address
            if st.webhook.last_error_date:
                info["last_error_date"] = st.webhook.last_error_date
                info["last_error_message"] = st.webhook.last_error_message
        if st.allowed_updates:
            info["allowed_updates"] = list(st.allowed_updates)
        return info

    # ------------------------------------------------------------------------------ sending

    async def send_message(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        ft = self.formatted(p, "text", limit=4096, required=True)
        assert ft is not None
        content: dict[str, Any] = {"text": ft.text}
        if ft.entities:
            content["entities"] = ft.entities
        if p.get("link_preview_options"):
            content["link_preview_options"] = p["link_preview_options"]
        return clone(self.deliver(chat, content, p).data)

    async def send_photo(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        caption = self.caption_content(p)
        rec = self.input_file(p["photo"], raw, "photo", "photo")
        content = {"photo": self.media_dict(rec), **caption}
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return clone(self.deliver(chat, content, p).data)

    async def send_document(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        caption = self.caption_content(p)
        rec = self.input_file(p["document"], raw, "document", "document")
        return clone(self.deliver(chat, {"document": self.media_dict(rec), **caption}, p).data)

    async def send_voice(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        caption = self.caption_content(p)
        rec = self.input_file(p["voice"], raw, "voice", "voice")
        return clone(self.deliver(chat, {"voice": self.media_dict(rec, p), **caption}, p).data)

    async def send_location(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        lat, lon = p["latitude"], p["longitude"]
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            raise bad_request("wrong latitude" if not -90 <= lat <= 90 else "wrong longitude")
        loc: dict[str, Any] = {"latitude": lat, "longitude": lon}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if key in p:
                loc[key] = p[key]
        return clone(self.deliver(chat, {"location": loc}, p).data)

    async def send_media_group(self, p: dict[str, Any], raw: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self.send_target(p["chat_id"])
        media = p["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media items: must include 2-10 items")
        kinds = {m["type"] for m in media}
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise bad_request("audio and documents can't be mixed with other media types")
        prepared = []
        for item in media:
            caption = self.caption_content(item)
            rec = self.input_file(item["media"], raw, item["type"], "media")
            prepared.append({item["type"]: self.media_dict(rec, item), **caption})
        self.check_flood(chat, p)
        group_id = str(random.randrange(10**17, 10**18))
        out = []
        for i, content in enumerate(prepared):
            q = p if i == 0 else {k: v for k, v in p.items() if k != "reply_markup"}
            msg = self.deliver(chat, {**content, "media_group_id": group_id}, q, flood_checked=True)
            out.append(clone(msg.data))
        return out

    def source_message(self, p: dict[str, Any], what: str) -> StoredMessage:
        src_chat = self.resolve_chat(p["from_chat_id"])
        msg = src_chat.messages.get(p["message_id"])
        if msg is None or msg.deleted:
            raise bad_request(f"message to {what} not found")
        return msg

    async def copy_message(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        src = self.source_message(p, "copy")
        chat = self.send_target(p["chat_id"])
        content = {k: clone(v) for k, v in src.data.items() if k in CONTENT_KEYS}
        if "caption" in p:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self.caption_content(p))
        msg = self.deliver(chat, content, p)
        return {"message_id": msg.message_id}

    async def forward_message(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        src = self.source_message(p, "forward")
        chat = self.send_target(p["chat_id"])
        content = {k: clone(v) for k, v in src.data.items() if k in CONTENT_KEYS}
        sender = src.data.get("from", self.state.bot_user)
        content["forward_origin"] = {"type": "user", "sender_user": sender, "date": src.data["date"]}
        q = {k: v for k, v in p.items() if k != "reply_markup"}
        return clone(self.deliver(chat, content, q).data)

    # ------------------------------------------------------------------------------ editing

    async def edit_message_text(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat, msg = self.find_message(p, "edit")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        if "text" not in msg.data:
            raise bad_request("there is no text in the message to edit")
        ft = self.formatted(p, "text", limit=4096, required=True)
        assert ft is not None
        changes = {"text": ft.text, "entities": ft.entities or None}
        if "link_preview_options" in p:
            changes["link_preview_options"] = p["link_preview_options"]
        return self.apply_edit(chat, msg, changes, p.get("reply_markup"))

    async def edit_message_caption(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat, msg = self.find_message(p, "edit")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        if "text" in msg.data:
            raise bad_request("there is no caption in the message to edit")
        cap = self.caption_content(p)
        changes = {"caption": cap.get("caption"), "caption_entities": cap.get("caption_entities")}
        return self.apply_edit(chat, msg, changes, p.get("reply_markup"))

    async def edit_message_reply_markup(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat, msg = self.find_message(p, "edit")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return self.apply_edit(chat, msg, {}, p.get("reply_markup"))

    def _delete(self, chat: ChatRecord, message_id: int) -> bool:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            return False
        msg.deleted = True
        self.state.event(chat, "delete", message_id, {"message": msg.snapshot()})
        return True

    async def delete_message(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        chat = self.resolve_chat(p["chat_id"])
        if not self._delete(chat, p["message_id"]):
            raise bad_request("message to delete not found")
        return True

    async def delete_messages(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        chat = self.resolve_chat(p["chat_id"])
        ids = p["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for mid in ids:
            self._delete(chat, mid)
        return True

    async def answer_callback_query(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        st = self.state
        rec = st.callbacks.get(p["callback_query_id"])
        if rec is None or rec.answered or time.monotonic() - rec.created > self.callback_ttl:
            raise bad_request(QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and utf16_len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        rec.answered = True
        rec.answer = {
            "text": text,
            "show_alert": bool(p.get("show_alert", False)),
            "url": p.get("url"),
            "cache_time": p.get("cache_time", 0),
        }
        chat = st.chats.get(rec.chat_id)
        if chat is not None:
            st.event(
                chat, "callback_answer", rec.message_id, {"callback_query_id": rec.id, "answer": rec.answer}
            )
        else:
            st.changes.fire()
        return True

    # ---------------------------------------------------------------------- files & misc

    async def get_file(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        rec = self.state.files.get(p["file_id"])
        if rec is None:
            raise bad_request("invalid file_id")
        return rec.as_file()

    def scope_key(self, p: dict[str, Any]) -> tuple[str, int | None, int | None, str]:
        scope = p.get("scope") or {"type": "default"}
        chat_id: int | None = None
        if "chat_id" in scope:
            chat_id = self.resolve_chat(scope["chat_id"]).id
        user_id = scope.get("user_id")
        if user_id is not None and user_id not in self.state.users:
            raise bad_request("user not found")
        lang = p.get("language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("invalid language code specified")
        return scope["type"], chat_id, user_id, lang

    async def set_my_commands(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        cmds = p["commands"]
        if len(cmds) > 100:
            raise bad_request("too many commands specified")
        for c in cmds:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= utf16_len(c["description"].strip()) <= 256:
                raise bad_request(
                    "command description is empty"
                    if not c["description"].strip()
                    else "BOT_COMMAND_DESCRIPTION_INVALID"
                )
        key = self.scope_key(p)
        self.state.commands[key] = [{"command": c["command"], "description": c["description"]} for c in cmds]
        if not cmds:
            self.state.commands.pop(key, None)
        self.state.save_commands(key)
        return True

    async def get_my_commands(self, p: dict[str, Any], raw: dict[str, Any]) -> list[dict[str, Any]]:
        return clone(self.state.commands.get(self.scope_key(p), []))

    async def delete_my_commands(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        key = self.scope_key(p)
        self.state.commands.pop(key, None)
        self.state.save_commands(key)
        return True

    async def send_chat_action(self, p: dict[str, Any], raw: dict[str, Any]) -> bool:
        chat = self.send_target(p["chat_id"])
        if p["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = p["action"]
        self.state.event(chat, "action", None, {"action": p["action"]})
        return True

    async def get_chat(self, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.resolve_chat(p["chat_id"])
        info = {
            **chat.as_chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
        if chat.user is not None:
            info["has_private_forwards"] = False
        return info

    # ------------------------------------------------------------------------------ generic

    async def generic(self, p: dict[str, Any], raw: dict[str, Any], method: str) -> Any:
        """Any other method: parameters are validated; return a plausible object of its type."""
        returns = self.spec.returns(method)
        first = returns[0] if returns else "Boolean"
        if first == "Message" and "chat_id" in p and method.startswith("send"):
            return await self.generic_send(method, p, raw)
        if "chat_id" in p and method not in ("getChatMember", "banChatMember", "unbanChatMember"):
            self.resolve_chat(p["chat_id"])
        special: dict[str, Any] = {
            "User": dict(self.state.bot_user),
            "Integer": 2,
            "String": "https://t.me/+sandbox",
            "MessageId": {"message_id": 1},
        }
        if first in special:
            return special[first]
        if first == "ChatMember":
            user = self.state.users.get(p.get("user_id", 0))
            who = user.as_user() if user else dict(self.state.bot_user)
            return {"status": "member", "user": who}
        if first == "ChatInviteLink":
            sample = self.spec.sample(first)
            sample.update(invite_link="https://t.me/+sandbox", creator=dict(self.state.bot_user))
            return sample
        return self.spec.sample(first)

    async def generic_send(self, method: str, p: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
        chat = self.send_target(p["chat_id"])
        content: dict[str, Any] = {}
        content.update(self.caption_content(p))
        kind = method[len("send") :]
        kind = re.sub(r"(?<!^)([A-Z])", r"_\1", kind).lower()
        if kind in ("audio", "video", "animation", "sticker", "video_note"):
            rec = self.input_file(p[kind], raw, kind, kind)
            content[kind] = self.media_dict(rec, p)
        elif kind == "contact":
            content["contact"] = {
                k: p[k] for k in ("phone_number", "first_name", "last_name", "vcard") if k in p
            }
        elif kind == "venue":
            content["venue"] = {
                "location": {"latitude": p["latitude"], "longitude": p["longitude"]},
                "title": p["title"],
                "address": p["address"],
            }
        elif kind == "dice":
            emoji = p.get("emoji", "🎲")
            content["dice"] = {"emoji": emoji, "value": random.randint(1, 6)}
        elif kind == "poll":
            options = [
                {"text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0} for o in p["options"]
            ]
            content["poll"] = {
                "id": str(random.randrange(10**17, 10**18)),
                "question": p["question"],
                "options": options,
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": p.get("is_anonymous", True),
                "type": p.get("type", "regular"),
                "allows_multiple_answers": p.get("allows_multiple_answers", False),
            }
        return clone(self.deliver(chat, content, p).data)
