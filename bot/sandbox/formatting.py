"""Telegram text formatting: HTML, MarkdownV2 and legacy Markdown to plain text + entities.

The sandbox must refuse exactly what Telegram refuses, so these parsers follow TDLib's rules and
error wording ("can't parse entities: ...") rather than being lenient like a browser. Offsets and
lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EntityParseError",
    "FormattedText",
    "find_bot_commands",
    "parse_text",
    "utf16_len",
]


class EntityParseError(ValueError):
    """Raised with TDLib's message (without the "Bad Request: can't parse entities: " prefix)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's limits (4096, 1024) and offsets use this unit."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Plain text and its entities (dicts shaped like the Bot API's MessageEntity)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


class _Builder:
    """Accumulates output text while tracking the UTF-16 offset, so entities can be cut cheaply."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.offset += utf16_len(chunk)

    def entity(self, type_: str, start: int, **extra: Any) -> None:
        length = self.offset - start
        if length > 0:
            self.entities.append({"type": type_, "offset": start, "length": length, **extra})

    def span(self, type_: str, start: int, end: int) -> None:
        if end > start:
            self.entities.append({"type": type_, "offset": start, "length": end - start})

    def result(self) -> FormattedText:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), ents)


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


# ----------------------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


def _decode_entities(src: str, base: int, text: str) -> str:
    """Decode &...; inside attribute values; a bare '&' is an error as in text."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise EntityParseError(f"Unsupported HTML entity at byte offset {_byte_offset(src, base)}")
            out.append(_entity_char(m.group(1)))
            i = m.end()
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _entity_char(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code)


@dataclass
class _Open:
    tag: str
    start: int
    byte: int
    extra: dict[str, Any]


def parse_html(src: str) -> FormattedText:
    """Parse Telegram's HTML subset; raises EntityParseError like Telegram would."""
    b = _Builder()
    stack: list[_Open] = []
    i, n = 0, len(src)
    plain_start = 0
    while i < n:
        c = src[i]
        if c not in "<&":
            i += 1
            continue
        if plain_start < i:
            b.add(src[plain_start:i])
        if c == "&":
            m = _ENTITY_RE.match(src, i)
            if not m:
                raise EntityParseError(
                    f"Character '&' must be escaped as &amp; at byte offset {_byte_offset(src, i)}"
                )
            b.add(_entity_char(m.group(1)))
            i = plain_start = m.end()
            continue
        byte = _byte_offset(src, i)
        if src.startswith("</", i):
            end = src.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {byte}")
            name = src[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f'Unexpected end tag "{name}" at byte offset {byte}')
            top = stack.pop()
            if name != top.tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {byte}, expected "</{top.tag}>", found "</{name}>"'
                )
            _close_html(b, top, stack)
            i = plain_start = end + 1
            continue
        m = _TAG_NAME_RE.match(src, i + 1)
        name = m.group(0).lower() if m else ""
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte}')
        j = m.end() if m else i + 1
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {byte}")
            if src[j] == ">":
                break
            if src.startswith("/>", j):
                raise EntityParseError(f'Unsupported self-closing tag "{name}" at byte offset {byte}')
            am = _ATTR_RE.match(src, j)
            if not am or am.end() == j:
                raise EntityParseError(f'Empty attribute name in the tag "{name}" at byte offset {byte}')
            value = am.group(2) or ""
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs[am.group(1).lower()] = _decode_entities(src, j, value)
            j = am.end()
        extra: dict[str, Any] = {}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        if name == "a":
            extra["href"] = attrs.get("href", "")
        if name == "tg-emoji":
            if not attrs.get("emoji-id"):
                raise EntityParseError('Custom emoji entity must contain a tag "emoji-id"')
            extra["custom_emoji_id"] = attrs["emoji-id"]
        if name == "code" and attrs.get("class", "").startswith("language-"):
            extra["language"] = attrs["class"][len("language-") :]
        if name == "blockquote" and "expandable" in attrs:
            extra["expandable"] = True
        stack.append(_Open(name, b.offset, byte, extra))
        i = plain_start = j + 1
    if plain_start < n:
        b.add(src[plain_start:])
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return b.result()


def _close_html(b: _Builder, top: _Open, stack: list[_Open]) -> None:
    kind = _HTML_TAGS[top.tag]
    if kind == "text_link":
        href = top.extra.get("href", "")
        m = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if m:
            user = {"id": int(m.group(1)), "is_bot": False, "first_name": "User"}
            b.entity("text_mention", top.start, user=user)
        elif href:
            b.entity("text_link", top.start, url=href)
        return
    if (
        kind == "code"
        and "language" in top.extra
        and stack
        and stack[-1].tag == "pre"
        and stack[-1].start == top.start
    ):
        stack[-1].extra["language"] = top.extra["language"]
        return
    if kind == "pre" and top.extra.get("language"):
        b.entity("pre", top.start, language=top.extra["language"])
        return
    if kind == "custom_emoji":
        b.entity("custom_emoji", top.start, custom_emoji_id=top.extra["custom_emoji_id"])
        return
    if kind == "blockquote" and top.extra.get("expandable"):
        b.entity("expandable_blockquote", top.start)
        return
    b.entity(kind, top.start)


# ----------------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}


def _reserved(c: str, src: str, i: int) -> EntityParseError:
    return EntityParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")


def parse_markdown_v2(src: str) -> FormattedText:
    """Parse MarkdownV2: every reserved character outside an entity marker must be escaped."""
    b = _Builder()
    stack: list[_Open] = []
    quote: _Open | None = None
    quote_end = 0
    i, n = 0, len(src)
    line_start = True
    while i < n:
        c = src[i]
        if line_start:
            line_start = False
            expandable = src.startswith("**>", i)
            if c == ">" or expandable:
                if quote is None:
                    quote = _Open("blockquote", b.offset, _byte_offset(src, i), {})
                i += 3 if expandable else 1
                continue
            if quote is not None:
                b.span("blockquote", quote.start, quote_end)
                quote = None
        if c == "\n":
            quote_end = b.offset
            b.add(c)
            line_start = True
            i += 1
            continue
        top = stack[-1].tag if stack else ""
        if c == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                b.add(src[i + 1])
                i += 2
                continue
            if top in ("code", "pre"):
                raise _reserved(c, src, i)
            b.add(c)
            i += 1
            continue
        if top in ("code", "pre"):
            if c == "`" and (top == "code" or src.startswith("```", i)):
                open_ = stack.pop()
                if top == "pre":
                    lang = open_.extra.get("language")
                    b.entity("pre", open_.start, **({"language": lang} if lang else {}))
                    i += 3
                else:
                    b.entity("code", open_.start)
                    i += 1
                continue
            b.add(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            b.add(c)
            i += 1
            continue
        byte = _byte_offset(src, i)
        closing = {
            "bold": c == "*",
            "italic": c == "_" and not src.startswith("__", i),
            "underline": src.startswith("__", i),
            "strikethrough": c == "~",
            "spoiler": src.startswith("||", i),
            "text_link": c == "]",
            "custom_emoji": c == "]",
        }.get(top, False)
        if closing:
            open_ = stack.pop()
            if top in ("text_link", "custom_emoji"):
                if not src.startswith("(", i + 1):
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}"
                    )
                url, i = _read_url(src, i + 2)
                if top == "custom_emoji":
                    m = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if not m:
                        raise EntityParseError("Custom emoji URL must have an emoji identifier")
                    b.entity("custom_emoji", open_.start, custom_emoji_id=m.group(1))
                else:
                    m = re.fullmatch(r"tg://user\?id=(\d+)", url)
                    if m:
                        user = {"id": int(m.group(1)), "is_bot": False, "first_name": "User"}
                        b.entity("text_mention", open_.start, user=user)
                    else:
                        b.entity("text_link", open_.start, url=url)
                continue
            b.entity(top, open_.start)
            i += 2 if top in ("underline", "spoiler") else 1
            continue
        if c == "*":
            stack.append(_Open("bold", b.offset, byte, {}))
            i += 1
        elif c == "_":
            if src.startswith("__", i):
                stack.append(_Open("underline", b.offset, byte, {}))
                i += 2
            else:
                stack.append(_Open("italic", b.offset, byte, {}))
                i += 1
        elif c == "~":
            stack.append(_Open("strikethrough", b.offset, byte, {}))
            i += 1
        elif c == "|" and src.startswith("||", i):
            stack.append(_Open("spoiler", b.offset, byte, {}))
            i += 2
        elif c == "[":
            stack.append(_Open("text_link", b.offset, byte, {}))
            i += 1
        elif c == "!" and src.startswith("![", i):
            stack.append(_Open("custom_emoji", b.offset, byte, {}))
            i += 2
        elif c == "`":
            if src.startswith("```", i):
                j = i + 3
                nl = src.find("\n", j)
                close = src.find("```", j)
                extra: dict[str, Any] = {}
                if nl != -1 and (close == -1 or nl < close):
                    lang = src[j:nl]
                    if lang and not any(ch.isspace() for ch in lang):
                        extra["language"] = lang
                    if not lang or "language" in extra:
                        j = nl + 1
                stack.append(_Open("pre", b.offset, byte, extra))
                i = j
            else:
                stack.append(_Open("code", b.offset, byte, {}))
                i += 1
        else:
            raise _reserved(c, src, i)
    if quote is not None:
        b.entity("blockquote", quote.start)
    if stack:
        last = stack[-1]
        raise EntityParseError(f"Can't find end of {_MDV2_NAMES[last.tag]} entity at byte offset {last.byte}")
    return b.result()


def _read_url(src: str, i: int) -> tuple[str, int]:
    """Read a MarkdownV2 URL up to the unescaped ')'; returns (url, index after ')')."""
    out: list[str] = []
    start = i
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            out.append(src[i + 1])
            i += 2
            continue
        if c == ")":
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, start)}")


# ------------------------------------------------------------------------------ legacy Markdown


def parse_markdown(src: str) -> FormattedText:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no nesting."""
    b = _Builder()
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            b.add(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            b.add(c)
            i += 1
            continue
        byte = _byte_offset(src, i)
        if c == "[":
            close = src.find("]", i + 1)
            if close == -1:
                raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte}")
            start = b.offset
            b.add(src[i + 1 : close])
            if src.startswith("(", close + 1):
                end = src.find(")", close + 2)
                if end == -1:
                    raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte}")
                url = src[close + 2 : end]
                if url:
                    b.entity("text_link", start, url=url)
                i = end + 1
            else:
                i = close + 1
            continue
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end == -1:
                raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte}")
            body = src[i + 3 : end]
            extra: dict[str, Any] = {}
            nl = body.find("\n")
            if nl > 0 and not any(ch.isspace() for ch in body[:nl]):
                extra["language"] = body[:nl]
                body = body[nl + 1 :]
            elif nl == 0:
                body = body[1:]
            start = b.offset
            b.add(body)
            b.entity("pre", start, **extra)
            i = end + 3
            continue
        end = src.find(c, i + 1)
        if end == -1:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte}")
        start = b.offset
        b.add(src[i + 1 : end])
        b.entity({"*": "bold", "_": "italic", "`": "code"}[c], start)
        i = end + 1
    return b.result()


# ------------------------------------------------------------------------------------- helpers

_WS = " \t\r\n\u00a0"


def _strip(ft: FormattedText) -> FormattedText:
    """Telegram trims leading/trailing whitespace and shifts entities accordingly."""
    text = ft.text
    lead = len(text) - len(text.lstrip(_WS))
    stripped = text.strip(_WS)
    if stripped == text:
        return ft
    shift = utf16_len(text[:lead])
    total = utf16_len(stripped)
    ents = []
    for e in ft.entities:
        start = max(e["offset"] - shift, 0)
        end = min(e["offset"] + e["length"] - shift, total)
        if end > start:
            ents.append({**e, "offset": start, "length": end - start})
    return FormattedText(stripped, ents)


def parse_text(text: str, parse_mode: str | None) -> FormattedText:
    """Apply parse_mode (case-insensitive, as Telegram) and trim; raises EntityParseError."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        ft = parse_html(text)
    elif mode == "markdownv2":
        ft = parse_markdown_v2(text)
    elif mode == "markdown":
        ft = parse_markdown(text)
    elif mode == "":
        ft = FormattedText(text, [])
    else:
        raise ValueError("unsupported parse_mode")
    return _strip(ft)


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def find_bot_commands(text: str) -> list[dict[str, Any]]:
    """bot_command entities Telegram adds to a user's text ("/start", "/help@bot")."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND_RE.finditer(text)
    ]
