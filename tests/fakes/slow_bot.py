"""`python -m tests.fakes.slow_bot run …`: gridbot, each update held a moment before handling.

For crash tests: updates then sit accepted but not yet handled long enough to kill the
worker among them. GRIDBOT_TEST_HOLD (seconds) bounds the hold; each update waits a random
share of it, so without a per-chat order two updates of one chat would finish swapped.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from typing import Any

from bot.__main__ import main
from bot.funnel import Funnel
from bot.runtime import RawUpdate

HOLD_ENV = "GRIDBOT_TEST_HOLD"


def hold_updates(seconds: float) -> None:
    handle = Funnel.__call__

    async def held(self: Funnel, update: RawUpdate) -> Any:
        await asyncio.sleep(random.uniform(0, seconds))
        return await handle(self, update)

    Funnel.__call__ = held  # type: ignore[method-assign]


if __name__ == "__main__":
    hold_updates(float(os.environ.get(HOLD_ENV, "0.1")))
    sys.exit(main())
