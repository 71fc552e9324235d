"""Scenario (b): a spike of :class:`~shop_users.ShopUser` from 0 to ``--peak`` users and back to 0 over
``--spike-seconds`` (two fifths rising, one fifth at the peak, two fifths falling)."""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape, events
from shop_users import ShopUser

__all__ = ["ShopUser", "SpikeShape"]


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--peak", type=int, default=100)
    parser.add_argument("--spike-seconds", type=float, default=300.0)


class SpikeShape(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        peak = options.peak if options else 100
        total = options.spike_seconds if options else 300.0
        now = self.get_run_time()
        if now >= total:
            return None
        rise = 0.4 * total
        if now < rise:
            users = peak * now / rise
        elif now < 0.6 * total:
            users = peak
        else:
            users = peak * (total - now) / rise
        return max(1, round(users)), max(1.0, peak / rise * 2)
