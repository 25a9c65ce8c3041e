"""A constituent's draft opinion, kept in the chat session until Submit (pure, no Telegram types).

Several messages in a row join the same draft; the card shows what will be sent. Stored as JSON in
`chat_session.data`, so a restart resumes the draft where it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.i18n import N_
from bot.text_limits import MAX_INPUT, utf16_len

# Category codes are the fields of deputies and the categories of special committees.
CATEGORIES: dict[str, str] = {
    "urban_construction": N_("Urban and rural construction"),
    "transport": N_("Transport"),
    "education": N_("Education"),
    "health": N_("Health care"),
    "social_security": N_("Social security"),
    "environment": N_("Environment"),
    "agriculture": N_("Agriculture and rural affairs"),
    "disputes": N_("Disputes"),
    "other": N_("Other"),
}
MAX_TEXT = MAX_INPUT  # UTF-16 units, as Telegram counts: leaves room on the card within its 4096
MAX_ATTACHMENTS = 10


@dataclass
class Attachment:
    kind: str  # photo | voice | document
    file_id: str
    file_unique_id: str
    caption: str | None = None


@dataclass
class Draft:
    parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    location: tuple[float, float] | None = None
    category: str | None = None
    anonymous: bool = False
    # Token of the newest card showing this draft ("" before the first): refs must never repeat,
    # or an edit meant for this draft's card would land on an older draft's card.
    card: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    @property
    def empty(self) -> bool:
        return not self.parts and not self.attachments and self.location is None

    def add_text(self, text: str) -> bool:
        """Append a message's text; False when the draft would grow past MAX_TEXT."""
        if not text:
            return True
        if utf16_len(self.text) + utf16_len(text) + (1 if self.parts else 0) > MAX_TEXT:
            return False
        self.parts.append(text)
        return True

    def add_attachment(self, item: Attachment) -> bool:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            return False
        if item.caption and not self.add_text(item.caption):
            return False
        self.attachments.append(item)
        return True

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["location"] = list(self.location) if self.location else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        if not data:
            return cls()
        loc = data.get("location")
        category = data.get("category")
        return cls(
            parts=[str(p) for p in data.get("parts", [])],
            attachments=[Attachment(**a) for a in data.get("attachments", [])],
            location=(float(loc[0]), float(loc[1])) if loc else None,
            category=category if category in CATEGORIES else None,
            anonymous=bool(data.get("anonymous", False)),
            card=str(data.get("card", "")),
        )
