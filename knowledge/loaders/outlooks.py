"""COPS 2024-2033 national outlooks by NOC 2021 unit group (ESDC).

Source: ``outlooks/summary_sommaire_2024_2033_noc2021.csv``. Rows for aggregates (all
occupations, TEER, broad categories) are skipped; unit groups that COPS projects only within a
combined group carry "N/A" and get no outlook (the assistant says there is none)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.loaders.csv_rows import read_rows
from knowledge.loaders.report import RowError

OUTLOOKS_FILE = Path("outlooks/summary_sommaire_2024_2033_noc2021.csv")
PERIOD = "2024-2033"
REGION = "ER00"  # COPS is national; no regional outlook file is published as open data

# COPS future labour-market conditions -> a stable rating code the explainer keys on.
RATINGS = {
    "Strong risk of Shortage": "shortage_strong",
    "Moderate risk of Shortage": "shortage_moderate",
    "Balance": "balance",
    "Moderate risk of Surplus": "surplus_moderate",
    "Strong risk of Surplus": "surplus_strong",
}


@dataclass(frozen=True, slots=True)
class OutlookRow:
    noc: str
    rating: str
    label_en: str
    label_fr: str
    recent_label_en: str | None
    recent_label_fr: str | None
    employment: int | None
    job_openings: int | None
    job_seekers: int | None


def _count(text: str) -> int | None:
    text = text.replace(",", "").strip()
    return int(text) if text and text not in {"N/A", "N/D"} else None


def _label(text: str) -> str | None:
    return None if text in {"", "N/A", "N/D"} else text


def read_outlooks(path: Path) -> Iterator[OutlookRow | RowError]:
    with read_rows(path) as rows:
        for row in rows:
            code = row.get("Code")
            if not (len(code) == 5 and code.isdigit()) or code == "00000":
                continue  # aggregate rows (all occupations, TEER_n, NOC1_n)
            future = row.get("Future_Labour_Market_Conditions")
            if future == "N/A":
                continue
            rating = RATINGS.get(future)
            label_fr = _label(row.get("Conditions_futures_sur_le_marché_du_travail"))
            if rating is None or label_fr is None:
                yield row.error(f"unknown outlook {future!r} for {code}")
                continue
            try:
                yield OutlookRow(
                    noc=code,
                    rating=rating,
                    label_en=future,
                    label_fr=label_fr,
                    recent_label_en=_label(row.get("Recent_Labour_Market_Conditions")),
                    recent_label_fr=_label(row.get("Conditions_récentes_sur_le_marché_du_travail")),
                    employment=_count(row.get("Employment_emploi_2023")),
                    job_openings=_count(row.get("Total_Job_Openings_Perspective_d'emploi")),
                    job_seekers=_count(row.get("Job_Seekers_Chercheurs_emploi")),
                )
            except ValueError as exc:
                yield row.error(f"bad number: {exc}")
