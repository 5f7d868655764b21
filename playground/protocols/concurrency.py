"""Running a protocol's model calls at once: the one primitive every protocol shares."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def together(*calls: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run calls at once; if one fails the others are cancelled and its error is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return [task.result() for task in tasks]
