"""Parameters of a dataset reference: ``builtin:arithmetic?n=40&steps=3``,
``quality:QuALITY.v1.0.1.htmlstripped.dev?difficult=1``."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from .errors import DatasetError


class Params:
    """The query string of one reference, read off with checks; `finish` refuses leftovers."""

    def __init__(self, name: str, query: str, *, prefix: str | None = None) -> None:
        self.prefix = prefix or f"builtin:{name}"
        self.raw: dict[str, str] = {}
        self.resolved: dict[str, int | str] = {}
        self._known: list[str] = []
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
        except ValueError:
            raise DatasetError(
                f"{self.prefix}: cannot read parameters {query!r} (write name=value&name=value)"
            ) from None
        for key, value in pairs:
            if key in self.raw:
                raise DatasetError(f"{self.prefix}: parameter {key!r} is given twice")
            self.raw[key] = value

    def integer(self, key: str, *, default: int, low: int, high: int) -> int:
        self._known.append(key)
        text = self.raw.get(key)
        if text is None:
            value = default
        else:
            try:
                value = int(text)
            except ValueError:
                raise DatasetError(
                    f"{self.prefix}: parameter {key!r}: {text!r} is not a whole number"
                ) from None
            if not low <= value <= high:
                raise DatasetError(
                    f"{self.prefix}: parameter {key!r}: {value} is out of range ({low} to {high})"
                )
        self.resolved[key] = value
        return value

    def choice(self, key: str, *, default: str, options: Sequence[str]) -> str:
        self._known.append(key)
        value = self.raw.get(key, default)
        if value not in options:
            raise DatasetError(
                f"{self.prefix}: parameter {key!r}: {value!r} is not one of {', '.join(options)}"
            )
        self.resolved[key] = value
        return value

    def text(self, key: str, *, default: str | None = None) -> str | None:
        """A free-text parameter (e.g. a column name); ``default`` when not given."""
        self._known.append(key)
        value = self.raw.get(key, default)
        if value is not None:
            if not value.strip():
                raise DatasetError(f"{self.prefix}: parameter {key!r} is empty")
            self.resolved[key] = value
        return value

    def finish(self) -> None:
        """Refuse any parameter the dataset did not ask for."""
        for key in self.raw:
            if key in self._known:
                continue
            if key == "seed":
                hint = "the seed comes from the experiment, not the dataset reference"
            elif self._known:
                hint = f"known: {', '.join(self._known)}"
            else:
                hint = "this dataset takes no parameters"
            raise DatasetError(f"{self.prefix}: unknown parameter {key!r} ({hint})")
