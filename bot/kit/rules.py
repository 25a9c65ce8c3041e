"""What every declared lifecycle (opinions, suggestions, broadcasts) builds from its table of rules."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from typing import Any, Protocol, TypeVar


class Declared(Protocol):
    """A row of a lifecycle table: `action` from any of `sources`, asked by one of `who`."""

    @property
    def action(self) -> Any: ...
    @property
    def sources(self) -> frozenset[Any]: ...
    @property
    def who(self) -> frozenset[Any]: ...


R = TypeVar("R", bound=Declared)


def index_rules(rules: Iterable[R], final: Collection[Hashable]) -> dict[tuple[Any, Any], R]:
    """The rules by (state, action); a table with two rules for one pair, or one that leaves a final
    state, is refused at import, so a mistake in a table never reaches a press."""
    index: dict[tuple[Any, Any], R] = {}
    for rule in rules:
        for source in rule.sources:
            if (source, rule.action) in index:
                raise ValueError(f"two rules for {rule.action} from {source}")
            if source in final:
                raise ValueError(f"{rule.action} leaves final state {source}")
            index[(source, rule.action)] = rule
    return index


def who_by_action(rules: Iterable[Declared]) -> dict[Any, frozenset[Any]]:
    """Who may ever ask for each action, from any state (a forged press is told apart from a stale one)."""
    who: dict[Any, frozenset[Any]] = {}
    for rule in rules:
        who[rule.action] = who.get(rule.action, frozenset()) | rule.who
    return who
