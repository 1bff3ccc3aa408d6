"""Job Bank hourly wages by NOC 2021 and economic region (Ontario's regions, Ontario, Canada).

Source: ``wages/merged_wages_2016_2024_mapped_to_NOC2021.csv`` (see data/SOURCES.md), a derived
merge of the Job Bank 2016, 2020 and 2024 wage releases. One input row carries three years; it
becomes up to three ``WageRow``s. Where several NOC 2016 codes were mapped onto one NOC 2021 code,
the merge holds several rows for the same occupation and region: a year whose figures disagree
between those rows is not a figure for the 2021 unit group, so it is dropped (reported as such).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from knowledge.loaders.csv_rows import read_rows
from knowledge.loaders.report import RowError

WAGES_FILE = Path("wages/merged_wages_2016_2024_mapped_to_NOC2021.csv")
YEARS = (2016, 2020, 2024)
CANADA = "ER00"
ONTARIO = "ER35"


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    province: str


@dataclass(frozen=True, slots=True)
class WageRow:
    noc: str
    region_code: str
    year: int
    low: Decimal | None
    median: Decimal | None
    high: Decimal | None


def is_loaded_region(code: str) -> bool:
    """Ontario, its economic regions, and Canada as the fallback."""
    return code == CANADA or code.startswith(ONTARIO)


def _money(text: str) -> Decimal | None:
    if not text:
        return None
    value = Decimal(text)
    if value < 0 or value > 1000:
        raise InvalidOperation(f"hourly wage {text} out of range")
    return value.quantize(Decimal("0.01"))


def read_wages(path: Path) -> Iterator[RegionRow | WageRow | RowError]:
    """Yield each region once (first time it is seen), then the wage rows, de-duplicated."""
    seen_regions: set[str] = set()
    by_key: dict[tuple[str, str, int], WageRow | None] = {}
    with read_rows(path) as rows:
        for row in rows:
            region = row.get("ER_Code")
            if not is_loaded_region(region):
                continue
            noc = row.get("NOC_2021")
            if len(noc) != 5 or not noc.isdigit():
                yield row.error(f"bad NOC 2021 code {noc!r}")
                continue
            try:
                parsed = [
                    WageRow(noc, region, year, _money(row[f"Low_Wage_{year}"]),
                            _money(row[f"Median_Wage_{year}"]), _money(row[f"High_Wage_{year}"]))
                    for year in YEARS
                ]
            except (InvalidOperation, KeyError) as exc:
                yield row.error(f"bad wage figure: {exc}")
                continue
            if region not in seen_regions:
                seen_regions.add(region)
                yield RegionRow(region, row.get("Region").replace("--", "–"), row.get("Province"))
            for wage in parsed:
                if wage.median is None and wage.low is None and wage.high is None:
                    continue
                key = (wage.noc, wage.region_code, wage.year)
                if key in by_key and by_key[key] != wage:
                    by_key[key] = None  # conflicting figures from a many-to-one mapping
                elif key not in by_key:
                    by_key[key] = wage
    for wage_or_conflict in by_key.values():
        if wage_or_conflict is not None:
            yield wage_or_conflict

