"""List prices of well-known hosted models, to put a cost on every logged call.

USD per 1M tokens, standard tier (no batch discount), as published on openai.com/api/pricing and
docs.anthropic.com/en/docs/about-claude/pricing when read on 2025-08-20; third-party summaries
dated March 2026 list the same input/output figures. Prices change: a model missing here is
logged with cost unknown (None), never with a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cached_input: float | None = None
    """Rate for prompt tokens served from the provider's cache; None when not listed here."""

    def cost(
        self, input_tokens: int, output_tokens: int, *, cached_input_tokens: int = 0
    ) -> float | None:
        """Cost of one call. ``input_tokens`` includes the cached ones (as OpenAI reports it)."""
        if cached_input_tokens and self.cached_input is None:
            return None
        fresh = input_tokens - cached_input_tokens
        cached = cached_input_tokens * (self.cached_input or 0.0)
        return (fresh * self.input + cached + output_tokens * self.output) / 1_000_000


PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
    "gpt-5": Price(1.25, 10.00, 0.125),
    "gpt-5-mini": Price(0.25, 2.00, 0.025),
    "gpt-5-nano": Price(0.05, 0.40, 0.005),
    "o3": Price(2.00, 8.00, 0.50),
    "o4-mini": Price(1.10, 4.40, 0.275),
    # Anthropic (cache reads/writes are priced differently; calls that used them get None)
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-opus-4": Price(15.00, 75.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
}

# A dated snapshot costs what its alias costs: gpt-4o-2024-08-06, claude-sonnet-4-5-20250929.
_SNAPSHOT = re.compile(r"^(?P<base>.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)?$")


def price_for(model: str) -> Price | None:
    """The price of a model name or of a dated snapshot of it; None if not listed."""
    name = model.strip().lower()
    if name in PRICES:
        return PRICES[name]
    match = _SNAPSHOT.match(name)
    return PRICES.get(match["base"]) if match else None


BATCH_DISCOUNT: dict[str, float] = {"openai": 0.5, "anthropic": 0.5}
"""What a call costs through the provider's batch engine, as a fraction of the list price:
both OpenAI's Batch API and Anthropic's Message Batches bill half the standard rate (input and
output tokens alike), as their pricing pages state."""


def batch_cost(provider: str, cost_usd: float | None) -> float | None:
    """The batch price of a call whose list price is ``cost_usd`` (None stays unknown)."""
    if cost_usd is None:
        return None
    return cost_usd * BATCH_DISCOUNT[provider]
