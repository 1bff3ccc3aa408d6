"""The knowledge base is built from the real open-data files, faithfully and repeatably."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.db import make_engine
from knowledge.loaders.catalog import read_programs, read_programs_text
from knowledge.loaders.noc import EXCLUSIONS_FILE, ExampleTitleRow, ExclusionRow, read_exclusions
from knowledge.loaders.pipeline import load_all
from knowledge.loaders.report import RowError
from knowledge.occupations import occupation_profile, resolver_vocabulary, wage_for

pytestmark = pytest.mark.both_backends  # the tests that use `db`: on SQLite and PostgreSQL


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _source_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_unit_group_and_example_title_is_loaded(db: Session, data_dir: Path) -> None:
    classes = _source_rows(data_dir / "noc2021/classes.csv")
    unit_groups = [r for r in classes if len(r["code"]) == 5]
    assert _count(db, models.Occupation) == len(unit_groups) == 516

    examples = _source_rows(data_dir / "noc2021/All examples.csv")
    english = sum(1 for r in examples if r["name_english"].strip())
    french = sum(1 for r in examples if r["name_french"].strip())
    assert english == 30277
    db_en = db.scalar(select(func.count()).where(models.ExampleTitle.lang == "en"))
    db_fr = db.scalar(select(func.count()).where(models.ExampleTitle.lang == "fr"))
    assert (db_en, db_fr) == (english, french)


def test_teer_and_titles_in_both_languages(db: Session) -> None:
    nurse = db.get(models.Occupation, "31301")
    assert nurse is not None
    assert nurse.teer == 1
    assert nurse.title_en.startswith("Registered nurses")
    assert nurse.title_fr.startswith("Infirmiers autorisés")


def test_wage_matches_the_source_file(db: Session, data_dir: Path) -> None:
    source = next(
        r for r in _source_rows(data_dir / "wages/merged_wages_2016_2024_mapped_to_NOC2021.csv")
        if r["NOC_2021"] == "33102" and r["ER_Code"] == "ER3530"
    )
    wage = wage_for(db, "33102", "ER3530")
    assert wage is not None
    assert wage.year == 2024 and wage.region_code == "ER3530" and wage.region_name == "Toronto"
    assert (wage.low, wage.median, wage.high) == (
        Decimal(source["Low_Wage_2024"]).quantize(Decimal("0.01")),
        Decimal(source["Median_Wage_2024"]).quantize(Decimal("0.01")),
        Decimal(source["High_Wage_2024"]).quantize(Decimal("0.01")),
    )
    assert "Job Bank" in wage.source


def test_wage_falls_back_to_ontario_then_canada(db: Session) -> None:
    # Pick an occupation with an Ontario figure but none for Stratford–Bruce Peninsula.
    in_region = set(db.scalars(select(models.Wage.noc).where(
        models.Wage.region_code == "ER3580")))
    ontario_only = db.scalars(select(models.Wage.noc).where(
        models.Wage.region_code == "ER35", models.Wage.noc.not_in(in_region))).first()
    assert ontario_only is not None
    wage = wage_for(db, ontario_only, "ER3580")
    assert wage is not None and wage.region_code == "ER35" and wage.is_fallback

    no_ontario = set(db.scalars(select(models.Wage.noc).where(
        models.Wage.region_code == "ER35")))
    canada_only = db.scalars(select(models.Wage.noc).where(
        models.Wage.region_code == "ER00", models.Wage.noc.not_in(no_ontario))).first()
    if canada_only is not None:
        fallback = wage_for(db, canada_only, "ER3530")
        assert fallback is not None and fallback.region_code == "ER00"


def test_outlook_matches_cops(db: Session) -> None:
    profile = occupation_profile(db, "31301")
    assert profile is not None and profile.outlook is not None
    assert profile.outlook.rating == "shortage_strong"
    assert profile.outlook.label_fr == "Risque important de pénurie"
    assert profile.outlook.period == "2024-2033"
    assert profile.outlook.region_code == "ER00"  # COPS is national


def test_skills_come_from_oasis(db: Session) -> None:
    profile = occupation_profile(db, "72100")
    assert profile is not None
    names = [s.name_en for s in profile.skills]
    assert profile.skills and all(1 <= s.level <= 5 for s in profile.skills)
    assert "Operation and Control" in names or "Equipment and Tool Selection" in names


def test_catalog_is_loaded_and_labelled_as_sample(db: Session) -> None:
    assert _count(db, models.Program) >= 300
    assert db.scalar(select(func.count()).where(models.Program.is_sample.is_(False))) == 0
    catalog = db.get(models.Dataset, "catalog")
    assert catalog is not None and catalog.is_sample and "SAMPLE" in catalog.title
    assert _count(db, models.ProgramSkill) > 0
    assert _count(db, models.ProgramOccupation) > 0


def _snapshot(db: Session) -> dict[str, object]:
    return {
        "occupations": _count(db, models.Occupation),
        "titles": _count(db, models.ExampleTitle),
        "exclusion_titles": _count(db, models.ExclusionTitle),
        "wages": _count(db, models.Wage),
        "wage_sum": db.scalar(select(func.sum(models.Wage.median))),
        "outlooks": _count(db, models.Outlook),
        "skills": _count(db, models.OccupationSkill),
        "programs": _count(db, models.Program),
        "tags": _count(db, models.ProgramSkill),
    }


def test_loading_twice_gives_the_same_database(tmp_path: Path, data_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.sqlite'}")
    first_report = load_all(engine, data_dir)
    with Session(engine) as s:
        first = _snapshot(s)
    second_report = load_all(engine, data_dir)
    with Session(engine) as s:
        assert _snapshot(s) == first
    assert first_report.rows == second_report.rows


def _copy_data(data_dir: Path, target: Path) -> Path:
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns("*.sqlite"))
    return target


def test_malformed_rows_are_reported_with_file_and_line_and_skipped(
        tmp_path: Path, data_dir: Path) -> None:
    data = _copy_data(data_dir, tmp_path / "data")
    wages_file = data / "wages/merged_wages_2016_2024_mapped_to_NOC2021.csv"
    lines = wages_file.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    broken = dict(zip(header, lines[1].rstrip("\n").split(","), strict=False))
    broken.update(ER_Code="ER3530", NOC_2021="72100", Median_Wage_2024="twenty")
    # Insert the bad row as line 3 (line 1 is the header).
    lines.insert(2, ",".join(broken[h] for h in header) + "\n")
    wages_file.write_text("".join(lines), encoding="utf-8")

    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    report = load_all(engine, data)
    messages = [str(e) for e in report.errors]
    assert any(m.startswith("merged_wages_2016_2024_mapped_to_NOC2021.csv:3:") for m in messages)
    with Session(engine) as s:
        # The good Toronto machinist figure from the real row is still there, and not "twenty".
        wage = wage_for(s, "72100", "ER3530")
        assert wage is not None and wage.median is not None and wage.median > 10
        assert _count(s, models.Occupation) == 516


def test_a_failed_load_leaves_the_previous_knowledge_base_whole(
        tmp_path: Path, data_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    load_all(engine, data_dir)
    with Session(engine) as s:
        before = _snapshot(s)
    data = _copy_data(data_dir, tmp_path / "data")
    (data / "catalog/programs.json").unlink()
    (data / "catalog/programs.csv").unlink()
    with pytest.raises(FileNotFoundError):
        load_all(engine, data)
    with Session(engine) as s:
        assert _snapshot(s) == before


def test_datasets_name_source_licence_and_period(db: Session) -> None:
    datasets = {d.key: d for d in db.scalars(select(models.Dataset))}
    assert set(datasets) == {"noc2021", "wages", "outlooks", "oasis", "catalog"}
    assert "Open Government Licence" in datasets["wages"].licence
    assert datasets["outlooks"].reference_period == "2024-2033"
    assert all(d.rows_loaded > 0 for d in datasets.values())
    assert [k for k, d in datasets.items() if d.is_sample] == ["catalog"]


def test_merged_classes_agree_with_the_official_structure_file(data_dir: Path) -> None:
    official = {
        r["Code - NOC 2021 V1.0"].strip(): r["Class title"].strip()
        for r in _source_rows(data_dir / "noc2021/noc_structure_en.csv")
    }
    merged = {r["code"]: r["name_english"].strip()
              for r in _source_rows(data_dir / "noc2021/classes.csv")}
    unit_groups = {code for code in official if len(code) == 5}
    assert len(unit_groups) == 516
    assert {code: merged.get(code) for code in unit_groups} == {
        code: official[code] for code in unit_groups}


@pytest.mark.parametrize("name", ["programs.csv", "programs.json"])
def test_programs_read_from_text_as_from_their_file(data_dir: Path, name: str) -> None:
    path = data_dir / "catalog" / name
    from_file = list(read_programs(path))
    # An upload arrives as bytes: decoded as they are, Windows line ends included.
    text = path.read_bytes().decode("utf-8-sig").replace("\n", "\r\n")
    from_text = list(read_programs_text(text, "csv" if name.endswith("csv") else "json",
                                        name=name))
    assert from_text == from_file and len(from_file) >= 300
    assert [r.line for r in from_text] == [r.line for r in from_file]


def test_exclusions_say_where_a_confusable_title_belongs(data_dir: Path) -> None:
    rows = list(read_exclusions(data_dir / EXCLUSIONS_FILE))
    assert not [r for r in rows if isinstance(r, RowError)]
    exclusions = [r for r in rows if isinstance(r, ExclusionRow)]
    assert len([r for r in exclusions if r.lang == "en"]) == 2190
    # Listed under the receptionists' neighbours, the title belongs to 13112, in both languages.
    assert ExclusionRow("13110", "13112", "en", "Medical administrative assistants") in exclusions
    assert any(r.excluded_from == "13110" and r.noc == "13112" and r.lang == "fr"
               and r.title.startswith("Adjoints administratifs médicaux") for r in exclusions)
    # A group title with parentheses of its own keeps them; a minor group is no unit group.
    communication = next(r for r in exclusions if r.excluded_from == "00012" and r.lang == "en"
                         and r.noc == "1003")
    assert communication.title == "Managers in communication (except broadcasting)"
    assert not communication.names_unit_group


@pytest.mark.both_backends
def test_the_knowledge_base_holds_the_exclusion_titles_the_resolver_reads(db: Session) -> None:
    # The web app and the actions server build their resolver from the database alone: a
    # confusable title is there under the group NOC's exclusions place it in.
    groups, titles = resolver_vocabulary(db)
    assert ExampleTitleRow("13112", "en", "Medical administrative assistants") in titles
    placed = db.scalars(select(models.ExclusionTitle.noc).where(
        models.ExclusionTitle.title == "Medical administrative assistants")).all()
    assert placed == ["13112"]  # excluded from several groups, loaded once
    assert {t.noc for t in titles} <= {g.noc for g in groups}


def test_an_exclusion_line_without_its_reference_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "Exclusion(s).csv"
    path.write_text("noc_code,type_english,name_english,type_french,name_french\n"
                    "14101,Exclusion(s),Receptionists,Exclusion(s),"
                    "Réceptionnistes  (Voir 14101 Réceptionnistes)\n", encoding="utf-8")
    rows = list(read_exclusions(path))
    assert isinstance(rows[0], RowError) and rows[0].line == 2
    assert rows[1] == ExclusionRow("14101", "14101", "fr", "Réceptionnistes")
