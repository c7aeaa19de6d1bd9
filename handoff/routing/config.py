"""Routing rules from handoff.yml: teams per intent and reason, chat hours, SLA targets,
grace period, and the closing codes (resolutions, issue types) agents choose from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

CONFIG_FILE = Path(__file__).with_name("handoff.yml")


@dataclass(frozen=True)
class HandoffConfig:
    sla_s: dict[str, int]
    tz: str
    open_at: str
    close_at: str
    grace_s: float
    default_handle_s: float
    teams: dict[str, tuple[str, ...]]
    reason_teams: dict[str, str]
    resolutions: tuple[str, ...]
    issue_types: tuple[str, ...]
    lead_team: str = "leads"  # reopened low-CSAT cases: claimable by leads only

    def team_for(self, intent: str | None, reasons: list[str]) -> str:
        for code in reasons:
            if code in self.reason_teams:
                return self.reason_teams[code]
        for team, intents in self.teams.items():
            if intent in intents:
                return team
        return "general"

    def hours_label(self) -> str:
        return f"{self.open_at}–{self.close_at} ({self.tz.split('/')[-1].replace('_', ' ')})"

    def is_open(self, now: float) -> bool:
        local = datetime.fromtimestamp(now, ZoneInfo(self.tz)).time()
        start = dtime.fromisoformat(self.open_at)
        end = (
            dtime(23, 59, 59, 999999)
            if self.close_at == "24:00"
            else dtime.fromisoformat(self.close_at)
        )
        return start <= local <= end if start <= end else (local >= start or local <= end)


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_FILE) -> HandoffConfig:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return HandoffConfig(
        sla_s={k: int(v) for k, v in doc["sla_first_response_s"].items()},
        tz=doc["hours"]["timezone"],
        open_at=str(doc["hours"]["open"]),
        close_at=str(doc["hours"]["close"]),
        grace_s=float(doc["grace_s"]),
        default_handle_s=float(doc["default_handle_s"]),
        teams={k: tuple(v or ()) for k, v in doc["teams"].items()},
        reason_teams=dict(doc.get("reason_teams") or {}),
        resolutions=tuple(doc["resolutions"]),
        issue_types=tuple(doc["issue_types"]),
        lead_team=str(doc.get("lead_team") or "leads"),
    )
