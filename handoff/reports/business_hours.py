"""Opening hours for the KPI table's business-hours times: `business_hours` in handoff.yml
if set, else Mon-Fri 09:00-18:00 in the shop zone; `BusinessHours.between` counts the opening
seconds of many intervals at once (numpy). The per-case facts (`case_facts.py`) use it when a
case or its events are written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import yaml


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    days: frozenset[int]  # Monday = 0
    open_s: int  # seconds after local midnight
    close_s: int

    def seconds(self, start: float, end: float) -> float:
        """Seconds of [start, end) inside opening hours (shop-local days)."""
        return float(self.between(np.array([start]), np.array([end]))[0])

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """`seconds` of many intervals at once (epoch seconds; NaN in, NaN out)."""
        return np.maximum(self._open_until(end) - self._open_until(start), 0.0)

    def _open_until(self, at: np.ndarray) -> np.ndarray:
        """Opening-hours seconds from a Monday long ago up to each time: local time is
        the UTC time plus the zone's offset in that hour (DST moves at night)."""
        hour = np.floor(at / 3600.0)
        known = ~np.isnan(hour)
        offsets = np.zeros_like(at)
        if known.any():
            hours, where = np.unique(hour[known], return_inverse=True)
            shift = [_offset(self.zone, float(h) * 3600.0) for h in hours]
            offsets[known] = np.asarray(shift)[where]
        local = at + offsets
        day = np.floor(local / 86400.0)
        since_monday = day + 3  # 1970-01-01 was a Thursday
        week, weekday = np.floor_divide(since_monday, 7), np.mod(since_monday, 7)
        span = float(max(0, self.close_s - self.open_s))
        is_open = np.array([d in self.days for d in range(7)], dtype=float)
        before = np.concatenate([[0.0], np.cumsum(is_open)])
        slot = np.nan_to_num(weekday).astype(int)
        inside = np.clip(local - day * 86400.0 - self.open_s, 0.0, span) * is_open[slot]
        out: np.ndarray = week * len(self.days) * span + before[slot] * span + inside
        out[~known] = np.nan
        return out


def _offset(zone: ZoneInfo, at: float) -> float:
    offset = dt.datetime.fromtimestamp(at, zone).utcoffset()
    return offset.total_seconds() if offset else 0.0


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=4)
def business_hours(zone: ZoneInfo) -> BusinessHours:
    """`business_hours` of handoff.yml (timezone, days, open, close) if set, else Mon-Fri
    09:00-18:00 in the shop zone. (The chat hours there say when chats are answered at all.)"""
    from handoff.routing.config import CONFIG_FILE

    doc = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8")) or {}
    raw = doc.get("business_hours") or {}

    def secs(text: str) -> int:
        hours, minutes = str(text).split(":")
        return int(hours) * 3600 + int(minutes) * 60

    days = raw.get("days") or DAY_NAMES[:5]
    return BusinessHours(
        zone=ZoneInfo(raw["timezone"]) if raw.get("timezone") else zone,
        days=frozenset(DAY_NAMES.index(str(d).lower()[:3]) for d in days),
        open_s=secs(raw.get("open", "09:00")),
        close_s=secs(raw.get("close", "18:00")),
    )
