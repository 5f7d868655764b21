"""Oversight protocols by name. Adding one is a module with a `Protocol` subclass plus a line here."""

from __future__ import annotations

import importlib

from .base import Protocol, Seat, TranscriptContext, TurnFailed

PROTOCOLS: dict[str, str] = {
    "blind": "playground.protocols.blind:Blind",
    "consultancy": "playground.protocols.consultancy:Consultancy",
    "open_consultancy": "playground.protocols.consultancy:OpenConsultancy",
    "debate": "playground.protocols.debate:Debate",
    "open_debate": "playground.protocols.debate:OpenDebate",
    "amplification": "playground.protocols.amplification:Amplification",
    "consistency": "playground.protocols.consistency:Consistency",
    "approval": "playground.approval.protocol:Approval",
}
"""Protocol name (the ``protocol`` key of an experiment file) → ``module:Class``."""


def get_protocol(name: str) -> type[Protocol]:
    try:
        module_name, class_name = PROTOCOLS[name].split(":")
    except KeyError:
        raise ValueError(f"unknown protocol {name!r} (known: {', '.join(PROTOCOLS)})") from None
    cls: type[Protocol] = getattr(importlib.import_module(module_name), class_name)
    return cls


__all__ = ["PROTOCOLS", "Protocol", "Seat", "TranscriptContext", "TurnFailed", "get_protocol"]
