"""Validation of Bot API calls against the official reference (api.min.json).

Every parameter is checked the way Telegram's server sees it: form and query values arrive as
strings and are coerced (``"123"`` is an Integer, a JSON string is an object), unknown parameters
are ignored, missing required ones and wrong types are refused with a Telegram-style description.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["ApiError", "FileUpload", "Spec", "bad_request", "load_spec"]

SPEC_PATH = Path(__file__).with_name("api.min.json")


class ApiError(Exception):
    """A refused call: becomes ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class FileUpload:
    """A file part of a multipart/form-data request (the InputFile type)."""

    filename: str
    content_type: str
    data: bytes


class _Invalid(Exception):
    """Internal: a value that does not match a type; converted to an ApiError by the caller."""


_INT_RE = re.compile(r"^[+-]?\d+$")
_SCALARS = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always) [\"“]?([a-z_]+)")
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query_id is empty",
    "from_chat_id": "from_chat_id is empty",
}
# Fields of InlineKeyboardButton that are not its action.
_BUTTON_NON_ACTION = {"text", "icon_custom_emoji_id", "style"}


class Spec:
    """The Bot API reference, indexed for case-insensitive method lookup and type validation."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self.methods: dict[str, dict[str, Any]] = raw["methods"]
        self.types: dict[str, dict[str, Any]] = raw["types"]
        self._lower = {name.lower(): name for name in self.methods}

    def method_name(self, name: str) -> str | None:
        """Canonical spelling of a method (Telegram matches names case-insensitively)."""
        return self._lower.get(name.lower())

    def returns(self, method: str) -> list[str]:
        return list(self.methods[method].get("returns", []))

    def discriminator(self, type_name: str) -> tuple[str, str] | None:
        """(field, value) fixing a subtype, e.g. BotCommandScopeChat -> ("type", "chat")."""
        for f in self.types.get(type_name, {}).get("fields", []):
            if f["name"] in ("type", "status", "source", "state") and f["required"]:
                m = _DISCRIMINATOR_RE.search(f.get("description", ""))
                if m:
                    return f["name"], m.group(1)
        return None

    # -------------------------------------------------------------------------------- params

    def validate_params(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Coerce the known parameters of ``method``; unknown ones are dropped like Telegram does."""
        out: dict[str, Any] = {}
        for f in self.methods[method].get("fields", []):
            name = f["name"]
            present = name in params and params[name] is not None
            value = params.get(name)
            if not present or (value == "" and "String" in f["types"] and f["required"]):
                if f["required"]:
                    raise bad_request(self._missing(name, f["types"]))
                continue
            try:
                out[name] = self.coerce(value, f["types"], params)
            except ApiError:
                raise
            except _Invalid as exc:
                raise bad_request(self._invalid(name, f["types"], str(exc))) from None
        return out

    @staticmethod
    def _missing(name: str, types: list[str]) -> str:
        if name in _MISSING:
            return _MISSING[name]
        if "InputFile" in types:
            return f"there is no {name} in the request"
        return f"{name} is empty"

    @staticmethod
    def _invalid(name: str, types: list[str], detail: str) -> str:
        if name == "reply_markup":
            return "can't parse reply keyboard markup JSON object"
        if name.endswith("entities"):
            return f"can't parse entities JSON object{': ' + detail if detail else ''}"
        if name == "chat_id":
            return "chat not found"
        if all(t in _SCALARS for t in types):
            return f"invalid {name} specified"
        return f"can't parse {name} JSON object{': ' + detail if detail else ''}"

    # --------------------------------------------------------------------------------- types

    def coerce(self, value: Any, types: list[str], files: dict[str, Any]) -> Any:
        """Return ``value`` converted to the first matching type in ``types``."""
        if types and all(t.startswith("Array of ") for t in types) and len(types) > 1:
            # Union of arrays (sendMediaGroup): each element may be any of the element types.
            items = self._as_json(value, list)
            inner = [t[len("Array of ") :] for t in types]
            return [self.coerce(item, inner, files) for item in items]
        last: Exception | None = None
        for t in types:
            try:
                return self._coerce_one(value, t, files)
            except ApiError:
                raise
            except _Invalid as exc:
                last = exc
        raise _Invalid(str(last) if last else "")

    @staticmethod
    def _as_json(value: Any, kind: type) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _Invalid("") from None
        if not isinstance(value, kind):
            raise _Invalid("")
        return value

    def _coerce_one(self, value: Any, t: str, files: dict[str, Any]) -> Any:
        if t == "Integer":
            if isinstance(value, bool):
                raise _Invalid("")
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value.strip())
            raise _Invalid("")
        if t == "Float":
            if isinstance(value, bool):
                raise _Invalid("")
            if isinstance(value, int | float):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    raise _Invalid("") from None
            raise _Invalid("")
        if t == "String":
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise _Invalid("")
        if t in ("Boolean", "True"):
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            raise _Invalid("")
        if t == "InputFile":
            if isinstance(value, FileUpload):
                return value
            raise _Invalid("")
        if t.startswith("Array of "):
            items = self._as_json(value, list)
            inner = t[len("Array of ") :]
            return [self.coerce(item, [inner], files) for item in items]
        if t in self.types:
            obj = self._as_json(value, dict)
            return self.validate_object(t, obj, files)
        raise _Invalid("")

    def validate_object(self, type_name: str, obj: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        """Validate a JSON-serialized object (and pick the subtype for unions such as BotCommandScope)."""
        spec = self.types[type_name]
        if spec.get("subtypes"):
            for sub in spec["subtypes"]:
                disc = self.discriminator(sub)
                if disc and obj.get(disc[0]) == disc[1]:
                    return self.validate_object(sub, obj, files)
            raise _Invalid(f"unsupported {type_name} type")
        out = dict(obj)
        for f in spec.get("fields", []):
            name = f["name"]
            if name not in obj or obj[name] is None:
                if f["required"]:
                    raise self._field_error(type_name, name, f["types"])
                out.pop(name, None)
                continue
            try:
                out[name] = self.coerce(obj[name], f["types"], files)
            except _Invalid:
                raise self._field_error(type_name, name, f["types"]) from None
        if type_name == "InlineKeyboardButton":
            self._check_inline_button(out)
        return out

    @staticmethod
    def _field_error(type_name: str, name: str, types: list[str]) -> Exception:
        kind = " or ".join(types)
        if type_name == "InlineKeyboardButton":
            return bad_request(f'can\'t parse inline keyboard button: Field "{name}" must be of type {kind}')
        if type_name == "KeyboardButton":
            return bad_request(f'can\'t parse keyboard button: Field "{name}" must be of type {kind}')
        return _Invalid(f'Field "{name}" must be of type {kind}')

    def _check_inline_button(self, button: dict[str, Any]) -> None:
        fields = {f["name"] for f in self.types["InlineKeyboardButton"]["fields"]}
        actions = [k for k in button if k in fields and k not in _BUTTON_NON_ACTION]
        if not button.get("text"):
            raise bad_request("BUTTON_TEXT_EMPTY")
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if len(actions) > 1:
            raise bad_request(
                "can't parse inline keyboard button: exactly one of the optional fields must be used, "
                f"got {', '.join(sorted(actions))}"
            )
        if "callback_data" in button:
            size = len(str(button["callback_data"]).encode("utf-8"))
            if not 1 <= size <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"^(https?|tg)://\S+$", button["url"]):
            raise bad_request("BUTTON_URL_INVALID")

    # ------------------------------------------------------------------------------ results

    def sample(self, type_name: str, depth: int = 0) -> Any:
        """A plausible value of a return type for methods the sandbox does not model."""
        if type_name.startswith("Array of "):
            return []
        simple: dict[str, Any] = {"Boolean": True, "True": True, "Integer": 0, "Float": 0.0, "String": ""}
        if type_name in simple:
            return simple[type_name]
        spec = self.types.get(type_name)
        if spec is None or depth > 6:
            return {}
        if spec.get("subtypes"):
            return self.sample(spec["subtypes"][0], depth + 1)
        disc = self.discriminator(type_name)
        out: dict[str, Any] = {}
        for f in spec.get("fields", []):
            if not f["required"]:
                continue
            if disc and f["name"] == disc[0]:
                out[f["name"]] = disc[1]
                continue
            value = self.sample(f["types"][0], depth + 1)
            out[f["name"]] = False if value is True and f["types"][0] == "Boolean" else value
        return out


@cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    """The reference is 600 kB of JSON: parse it once per process."""
    return Spec(json.loads(path.read_text(encoding="utf-8")))
