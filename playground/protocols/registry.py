"""The one registry of protocols: a protocol class registers itself with `@register`, and the
experiment parser, the pages and the report loop over what registered, naming none.

The built-in protocols register when `playground.protocols` is imported; a protocol from
elsewhere (a test, a research notebook) registers by importing its module, and can be taken
out again with `unregister` (or for a block, `registered`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..prompts import add_prompt_dir, remove_prompt_dir
from .spec import ReportSection, SeatStyle

if TYPE_CHECKING:
    from .base import Protocol

P = TypeVar("P", bound="type[Protocol[Any]]")

_PROTOCOLS: dict[str, type[Protocol[Any]]] = {}


def register(cls: P) -> P:
    """Class decorator: make a `Protocol` subclass runnable by its ``name``. Registering a
    second class under a name already taken is refused."""
    name = cls.name
    if _PROTOCOLS.get(name, cls) is not cls:
        raise ValueError(f"protocol {name!r} is already registered ({_PROTOCOLS[name].__name__})")
    _PROTOCOLS[name] = cls
    if cls.prompt_dir is not None:
        add_prompt_dir(cls.prompt_dir)
    return cls


def unregister(name: str) -> None:
    cls = _PROTOCOLS.pop(name, None)
    folder = cls.prompt_dir if cls is not None else None
    if folder is not None and all(p.prompt_dir != folder for p in _PROTOCOLS.values()):
        remove_prompt_dir(folder)


@contextmanager
def registered(cls: type[Protocol[Any]]) -> Iterator[type[Protocol[Any]]]:
    """Register ``cls`` for the duration of a block (a test's example protocol)."""
    register(cls)
    try:
        yield cls
    finally:
        unregister(cls.name)


def protocols() -> dict[str, type[Protocol[Any]]]:
    """Every registered protocol by name, in the order they registered."""
    return dict(_PROTOCOLS)


def get_protocol(name: str) -> type[Protocol[Any]]:
    try:
        return _PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r} (known: {', '.join(_PROTOCOLS)})") from None


def on_page(page: str) -> list[type[Protocol[Any]]]:
    """The protocols a page runs (`ProtocolInfo.page`), in menu order."""
    found = [cls for cls in _PROTOCOLS.values() if cls.info.page == page]
    return sorted(found, key=lambda cls: cls.info.menu_order)


def seat_style(role: str) -> SeatStyle:
    """How a seat looks, as the first protocol that styles it declares; else its name, grey."""
    for cls in _PROTOCOLS.values():
        style = cls.info.seat_styles.get(role)
        if style is not None:
            return style
    return SeatStyle(name=role.replace("_", " ").title())


def report_sections() -> list[list[ReportSection]]:
    """Every protocol's report sections, those sharing a key grouped, in ``order``."""
    by_key: dict[str, list[ReportSection]] = {}
    for cls in _PROTOCOLS.values():
        for section in cls.sections:
            parts = by_key.setdefault(section.key, [])
            if section not in parts:  # a protocol and its variant (open_debate) share theirs
                parts.append(section)
    groups = [sorted(parts, key=lambda s: s.order) for parts in by_key.values()]
    return sorted(groups, key=lambda parts: parts[0].order)
