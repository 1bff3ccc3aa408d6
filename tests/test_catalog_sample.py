"""The SAMPLE micro-credential catalog: generated reproducibly, consistent with NOC 2021 and the
skills vocabulary, and read back by loaders that reject malformed rows with their line."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from knowledge.loaders.catalog import (
    PROGRAM_COLUMNS,
    InstitutionRow,
    ProgramRow,
    SkillRow,
    read_institutions,
    read_programs,
    read_skills,
)
from knowledge.loaders.noc import read_unit_groups
from knowledge.loaders.report import RowError

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "data" / "catalog"
GENERATOR = CATALOG / "sample" / "generate.py"
CLASSES = ROOT / "data" / "noc2021" / "classes.csv"
OASIS = ROOT / "data" / "oasis"
FILES = ("institutions.csv", "skills.csv", "programs.csv", "programs.json")
MAIN_SECTORS = ("manufacturing", "health_care", "information_technology")
OTHER_SECTORS = ("construction_trades", "business_admin", "early_childhood",
                 "transportation_logistics", "hospitality_food")
SMALL_SECTORS = ("public_safety",)  # one theme: security guards on their way to policing


def _load_generator() -> ModuleType:
    """The generator is a script under data/, not a package module: load it from its file."""
    spec = importlib.util.spec_from_file_location("catalog_sample_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
RULES = gen.load_rules()
DESCRIPTORS = gen.oasis_descriptors(OASIS)


def _ok(rows: list[Any]) -> list[Any]:
    return [r for r in rows if not isinstance(r, RowError)]


def _errors(rows: list[Any]) -> list[RowError]:
    return [r for r in rows if isinstance(r, RowError)]


@pytest.fixture(scope="module")
def unit_groups() -> dict[str, str]:
    return {row.noc: row.title_en for row in _ok(list(read_unit_groups(CLASSES)))}


@pytest.fixture(scope="module")
def institutions() -> list[InstitutionRow]:
    rows = list(read_institutions(CATALOG / "institutions.csv"))
    assert _errors(rows) == []
    return [r for r in rows if isinstance(r, InstitutionRow)]


@pytest.fixture(scope="module")
def skills() -> list[SkillRow]:
    rows = list(read_skills(CATALOG / "skills.csv", descriptors=DESCRIPTORS))
    assert _errors(rows) == []
    return [r for r in rows if isinstance(r, SkillRow)]


@pytest.fixture(scope="module")
def programs(unit_groups: dict[str, str], institutions: list[InstitutionRow],
             skills: list[SkillRow]) -> list[ProgramRow]:
    rows = list(read_programs(CATALOG / "programs.json", noc_codes=set(unit_groups),
                              skill_codes={s.code for s in skills},
                              institution_ids={i.id for i in institutions}))
    assert _errors(rows) == []
    return [r for r in rows if isinstance(r, ProgramRow)]


# --- the generator -----------------------------------------------------------------------------


def test_generator_is_deterministic(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a")
    gen.generate(tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_committed_files_are_the_generator_output(tmp_path: Path) -> None:
    gen.generate(tmp_path)
    for name in FILES:
        assert (CATALOG / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"data/catalog/{name} is stale: run make catalog")


def test_rule_tables_are_consistent_with_classes_csv() -> None:
    assert gen.check_rules(RULES, CLASSES, OASIS) == []


def _rules_copy(tmp_path: Path, **replacements: tuple[str, str]) -> Path:
    """The rule tables in ``tmp_path``, with ``{file stem: (old, new)}`` text replaced."""
    rules = tmp_path / "rules"
    shutil.copytree(GENERATOR.parent, rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for stem, (old, new) in replacements.items():
        [path] = rules.glob(f"{stem}.*")
        text = path.read_text(encoding="utf-8")
        assert old in text, (path.name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return rules


def test_a_mistyped_noc_code_is_caught(tmp_path: Path) -> None:
    # 72010 is a unit group too (contractors and supervisors): only the title tells the typo.
    rules = gen.load_rules(_rules_copy(
        tmp_path, occupations=("72100,Machinists", "72010,Machinists"),
        themes=('"72100"', '"72010"')))
    [problem] = gen.check_rules(rules, CLASSES, OASIS)
    assert problem.startswith("NOC 72010 is 'Contractors and supervisors, machining")
    assert problem.endswith("not 'Machinists and machining and tooling inspectors'")
    rules = gen.load_rules(_rules_copy(tmp_path / "b", themes=('"94106"', '"94016"')))
    problems = gen.check_rules(rules, CLASSES, OASIS)
    assert problems and all("NOC 94016 is not listed in occupations.csv" in p for p in problems)


def test_malformed_rule_tables_are_refused_with_their_place(tmp_path: Path) -> None:
    rules = _rules_copy(tmp_path, themes=("universities = true", "univerities = true"),
                        institutions=(",college,false,1.5,", ",college,perhaps,1.5,"))
    with pytest.raises(gen.RulesError) as refused:
        gen.load_rules(rules)
    message = str(refused.value)
    assert "institutions.csv:3: is_francophone 'perhaps' is not true or false" in message
    assert "unknown key 'univerities'" in message and "themes.toml: theme " in message


def test_main_writes_the_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    assert "programs:" in capsys.readouterr().out


# --- content -----------------------------------------------------------------------------------


def test_every_file_and_record_is_labelled_sample(programs: list[ProgramRow],
                                                  institutions: list[InstitutionRow],
                                                  skills: list[SkillRow]) -> None:
    for name in ("institutions.csv", "skills.csv", "programs.csv"):
        first = (CATALOG / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# SAMPLE DATA") and "not real" in first
    document = json.loads((CATALOG / "programs.json").read_text(encoding="utf-8"))
    assert document["sample"] is True and document["notice"].startswith("SAMPLE DATA")
    assert all(p["sample"] is True for p in document["programs"])
    assert all(p.sample for p in programs)
    assert all(i.sample for i in institutions) and all(s.sample for s in skills)
    assert "SAMPLE DATA" in (CATALOG / "FORMAT.md").read_text(encoding="utf-8")


def test_at_least_300_programs_with_the_main_sectors_biggest(programs: list[ProgramRow]) -> None:
    assert len(programs) >= 300
    sectors = Counter(p.sector for p in programs)
    assert set(sectors) == set(MAIN_SECTORS) | set(OTHER_SECTORS) | set(SMALL_SECTORS)
    smallest_main = min(sectors[s] for s in MAIN_SECTORS)
    assert all(sectors[s] < smallest_main for s in OTHER_SECTORS), sectors
    assert all(sectors[s] >= 15 for s in OTHER_SECTORS), sectors
    assert all(3 <= sectors[s] < 15 for s in SMALL_SECTORS), sectors


def test_every_occupation_is_a_noc_2021_unit_group(programs: list[ProgramRow],
                                                   unit_groups: dict[str, str]) -> None:
    for program in programs:
        assert program.occupations, program.id
        for code in program.occupations:
            assert code in unit_groups, (program.id, code)
    for code, title in RULES.nocs.items():
        assert unit_groups.get(code) == title, code
    # a few anchors the brief names
    assert unit_groups["72100"].startswith("Machinists")
    assert unit_groups["33102"].startswith("Nurse aides")
    assert unit_groups["32101"] == "Licensed practical nurses"


def test_every_skill_code_is_in_the_vocabulary(programs: list[ProgramRow],
                                              skills: list[SkillRow]) -> None:
    codes = {s.code for s in skills}
    assert 80 <= len(codes) <= 150
    used = {code for p in programs for code in p.skills}
    assert used <= codes
    assert all(p.skills for p in programs)
    by_code = {s.code: s for s in skills}
    assert "CNC" in by_code["cnc-programming"].synonyms_en
    assert "IPAC" in by_code["infection-prevention"].synonyms_en
    assert "SQL" in by_code["sql"].synonyms_en
    assert "soudage" in by_code["welding-safety"].synonyms_fr


def test_oasis_descriptors_are_real_oasis_columns(skills: list[SkillRow]) -> None:
    headers: set[str] = set()
    for name in ("skills_oasis_2023_v1.0.csv", "knowledges_oasis_2023_v1.0.csv"):
        with (OASIS / name).open(encoding="utf-8-sig", newline="") as handle:
            headers |= {" ".join(h.split()) for h in next(csv.reader(handle))[2:]}
    assert headers == DESCRIPTORS
    described = [s for s in skills if s.oasis_descriptor]
    assert len(described) == len(skills)
    assert {s.oasis_descriptor for s in described} <= headers


def test_institutions_are_real_ontario_institutions(institutions: list[InstitutionRow]) -> None:
    ids = {i.id for i in institutions}
    assert {"conestoga", "mohawk", "george-brown", "humber", "seneca", "sheridan", "fanshawe",
            "algonquin", "la-cite", "boreal", "tmu-chang", "uottawa", "uof"} <= ids
    assert {i.id for i in institutions if i.is_francophone} == {"la-cite", "boreal", "uof"}
    for inst in institutions:
        assert inst.website.startswith("https://") and inst.website.count("/") == 2
        assert inst.contact_email == ""  # no invented addresses at real domains


def test_offerings_follow_the_rules(programs: list[ProgramRow],
                                    institutions: list[InstitutionRow]) -> None:
    by_id = {i.id: i for i in institutions}
    for p in programs:
        inst = by_id[p.institution_id]
        assert p.url == f"{inst.website}/#sample-{p.id}"
        assert p.region_code == inst.region_code
        assert 0 <= p.cost <= 2000 and p.currency == "CAD"
        assert 6 <= p.hours <= 120 and 1 <= p.weeks <= 16
        assert 1 <= len(p.start_dates) <= 4
        assert all(d.year == 2027 for d in p.start_dates)
        assert list(p.start_dates) == sorted(set(p.start_dates))
        assert p.title_en and p.title_fr and p.description_en and p.description_fr
        if p.id.endswith("-workplace-french"):  # French as a second language
            assert p.language == "bilingual", p.id
        elif inst.is_francophone:
            assert p.language == "fr", p.id
        elif inst.id != "uottawa":  # the one bilingual university
            assert p.language == "en", p.id
        if p.osap_eligible:
            assert p.cost > 0 and p.weeks < 12 and 24 <= p.hours <= 300, p.id
    costs = [p.cost for p in programs]
    assert sum(200 <= c <= 900 for c in costs) > len(costs) / 2  # most are $200-$900
    assert any(c == 0 for c in costs)  # some funded seats
    french = [p for p in programs if p.language in ("fr", "bilingual")]
    assert len(french) >= 40
    assert Counter(p.delivery for p in programs).most_common(1)[0][0] == "online"
    offers: Counter[str] = Counter()  # program ids are "<institution id>-<theme key>"
    for theme in RULES.themes:
        offers[theme.key] = sum(1 for p in programs if p.id.endswith(f"-{theme.key}")
                                and p.id[: -len(theme.key) - 1] in by_id)
    assert all(2 <= n <= 6 for n in offers.values()), offers


def test_csv_and_json_give_the_same_programs(programs: list[ProgramRow],
                                              unit_groups: dict[str, str]) -> None:
    from_csv = list(read_programs(CATALOG / "programs.csv", noc_codes=set(unit_groups)))
    assert _errors(from_csv) == []
    assert from_csv == programs


# --- the readers reject malformed rows ----------------------------------------------------------


def _sample_program() -> dict[str, Any]:
    return dict(gen.build_programs(RULES)[0])


def _write_programs_csv(path: Path, rows: list[dict[str, Any]], notice: bool = True) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if notice:
            handle.write("# SAMPLE DATA - test file\n")
        writer = csv.DictWriter(handle, fieldnames=list(PROGRAM_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: gen._csv_cell(v) for k, v in row.items()})


def _variant(base: dict[str, Any], suffix: str, **changes: Any) -> dict[str, Any]:
    row = dict(base, id=f"{base['id']}-{suffix}")
    row.update(changes)
    return row


BAD_PROGRAM_CHANGES: dict[str, tuple[dict[str, Any], str]] = {
    "cost": ({"cost": -5}, "cost"),
    "delivery": ({"delivery": "correspondence"}, "delivery"),
    "language": ({"language": "es"}, "language"),
    "url": ({"url": "http://www.example.org/x"}, "https"),
    "date": ({"start_dates": ["2027-02-30"]}, "ISO date"),
    "noc": ({"occupations": ["99999"]}, "not a NOC 2021 unit group"),
    "noc-format": ({"occupations": ["7210"]}, "five-digit"),
    "skill": ({"skills": ["basket-weaving"]}, "skills vocabulary"),
    "schedule": ({"schedule": ["nights"]}, "schedule"),
    "region": ({"region_code": "ER2410"}, "region_code"),
    "no-occupations": ({"occupations": []}, "occupations is empty"),
    "institution": ({"institution_id": "hogwarts"}, "not a known institution"),
}


def _references(unit_groups: dict[str, str]) -> dict[str, Any]:
    return {"noc_codes": set(unit_groups), "skill_codes": RULES.skill_codes,
            "institution_ids": {i.id for i in RULES.institutions}}


def test_programs_csv_rejects_bad_rows_with_their_line(tmp_path: Path,
                                                       unit_groups: dict[str, str]) -> None:
    base = _sample_program()
    rows = [_variant(base, "good-1")]
    expected: dict[int, str] = {}
    for name, (changes, reason) in BAD_PROGRAM_CHANGES.items():
        rows.append(_variant(base, name, **changes))
        expected[len(rows) + 2] = reason  # line 1 is the notice, line 2 the header
    rows.append(_variant(base, "good-2"))
    path = tmp_path / "programs.csv"
    _write_programs_csv(path, rows)
    result = list(read_programs(path, **_references(unit_groups)))
    good = _ok(result)
    assert [p.id for p in good] == [f"{base['id']}-good-1", f"{base['id']}-good-2"]
    errors = _errors(result)
    assert {e.line for e in errors} == set(expected)
    for error in errors:
        assert error.file == "programs.csv"
        assert expected[error.line] in error.reason, (error.line, error.reason)


def test_programs_csv_rejects_unparseable_cells(tmp_path: Path) -> None:
    base = _sample_program()
    path = tmp_path / "programs.csv"
    _write_programs_csv(path, [
        _variant(base, "dollar", cost="$545"),
        _variant(base, "weeks", weeks="six"),
        _variant(base, "bool", osap_eligible="maybe"),
        _variant(base, "good"),
    ], notice=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(",".join(["x"] * (len(PROGRAM_COLUMNS) + 2)) + "\n")  # too many cells
    result = list(read_programs(path))
    assert [p.id for p in _ok(result)] == [f"{base['id']}-good"]
    reasons = {e.line: e.reason for e in _errors(result)}
    assert "cost '$545'" in reasons[2]
    assert "weeks 'six'" in reasons[3]
    assert "osap_eligible" in reasons[4]
    assert "more cell(s)" in reasons[6]


def test_programs_csv_missing_column_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "programs.csv"
    path.write_text("# notice\nid,title_en\nx,y\n", encoding="utf-8")
    result = list(read_programs(path))
    assert len(result) == 1 and isinstance(result[0], RowError)
    assert result[0].line == 2 and "missing columns" in result[0].reason


def test_programs_json_rejects_bad_items_with_their_line(tmp_path: Path,
                                                         unit_groups: dict[str, str]) -> None:
    base = _sample_program()
    items: list[Any] = [_variant(base, "good-1")]
    bad_lines: dict[int, str] = {}
    for name, (changes, reason) in BAD_PROGRAM_CHANGES.items():
        items.append(_variant(base, name, **changes))
        bad_lines[len(items) + 1] = reason  # one item per line after "[" on line 1
    typed = {"cost": "545", "weeks": 2.5, "osap_eligible": "true", "skills": "sql|excel"}
    for field, value in typed.items():
        items.append(_variant(base, f"type-{field}", **{field: value}))
        bad_lines[len(items) + 1] = field
    items.append("not an object")
    bad_lines[len(items) + 1] = "not a JSON object"
    items.append(_variant(base, "good-2"))
    path = tmp_path / "programs.json"
    path.write_text("[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items)
                    + "\n]\n", encoding="utf-8")
    result = list(read_programs(path, **_references(unit_groups)))
    assert [p.id for p in _ok(result)] == [f"{base['id']}-good-1", f"{base['id']}-good-2"]
    errors = _errors(result)
    assert {e.line for e in errors} == set(bad_lines)
    for error in errors:
        assert bad_lines[error.line] in error.reason, (error.line, error.reason)


def test_programs_json_lines_in_an_indented_document(tmp_path: Path) -> None:
    base = _sample_program()
    bad = _variant(base, "bad", delivery="teleport")
    document = {"notice": "x", "programs": [_variant(base, "good"), bad]}
    text = json.dumps(document, indent=2)
    path = tmp_path / "programs.json"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    id_line = next(n for n, line in enumerate(lines, 1) if bad["id"] in line and '"id"' in line)
    errors = _errors(list(read_programs(path)))
    assert [(e.line, "delivery" in e.reason) for e in errors] == [(id_line - 1, True)]


def test_programs_json_syntax_error_and_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "programs.json"
    path.write_text('{\n  "programs": [\n    {"id": "x",}\n  ]\n}\n', encoding="utf-8")
    [error] = list(read_programs(path))
    assert isinstance(error, RowError) and error.line == 3 and "invalid JSON" in error.reason
    path.write_text('{"programs": {"id": "x"}}', encoding="utf-8")
    [error] = list(read_programs(path))
    assert isinstance(error, RowError) and "array" in error.reason
    with pytest.raises(ValueError):
        list(read_programs(tmp_path / "programs.xml"))


def test_duplicate_program_id_is_rejected(tmp_path: Path) -> None:
    base = _sample_program()
    path = tmp_path / "programs.csv"
    _write_programs_csv(path, [base, base])
    result = list(read_programs(path))
    assert len(_ok(result)) == 1
    [error] = _errors(result)
    assert error.line == 4 and "duplicate id" in error.reason


def test_institutions_reader_rejects_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "institutions.csv"
    path.write_text(
        "# SAMPLE DATA\n"
        "id,name_en,name_fr,website,city,region_code,contact_email,is_francophone,sample\n"
        "good-one,Good College,Collège Good,https://good.example.org,Ottawa,ER3510,,false,true\n"
        "Bad Id,Bad,Mauvais,https://bad.example.org,Ottawa,ER3510,,false,true\n"
        "insecure,Insecure,Non sécurisé,http://insecure.example.org,Ottawa,ER3510,,false,\n"
        "nowhere,Nowhere,Nulle part,https://nowhere.example.org,Ottawa,ER9999,,false,\n"
        "mail,Mail,Courriel,https://mail.example.org,Ottawa,ER3510,not-an-email,false,\n"
        "flag,Flag,Drapeau,https://flag.example.org,Ottawa,ER3510,,perhaps,\n"
        "good-two,Good Two,Bon deux,https://two.example.org,Toronto,ER3530,"
        "info@example.org,true,\n",
        encoding="utf-8")
    result = list(read_institutions(path))
    good = _ok(result)
    assert [i.id for i in good] == ["good-one", "good-two"]
    assert good[0].sample is True and good[1].sample is False and good[1].is_francophone
    reasons = {e.line: e.reason for e in _errors(result)}
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert "slug" in reasons[4]
    assert "https" in reasons[5]
    assert "region_code" in reasons[6]
    assert "contact_email" in reasons[7]
    assert "is_francophone" in reasons[8]


def test_skills_reader_rejects_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "skills.csv"
    path.write_text(
        "code,name_en,name_fr,synonyms_en,synonyms_fr,oasis_descriptor,sample\n"
        "cnc-programming,CNC programming,Programmation CNC,CNC|G-code,CNC|code G,"
        "Operation  and\u00a0Control,true\n"
        "NoSlug,Bad,Mauvais,,,,true\n"
        "made-up,Made up,Inventé,,,Juggling,true\n"
        "no-french,No French,,,,,true\n"
        "cnc-programming,Again,Encore,,,,true\n"
        "sql,SQL,SQL,SQL|MySQL,,,\n",
        encoding="utf-8")
    result = list(read_skills(path, descriptors=DESCRIPTORS))
    good = _ok(result)
    assert [s.code for s in good] == ["cnc-programming", "sql"]
    assert good[0].synonyms_en == ("CNC", "G-code")
    assert good[0].oasis_descriptor == "Operation and Control"  # whitespace normalized
    reasons = {e.line: e.reason for e in _errors(result)}
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "slug" in reasons[3]
    assert "OaSIS" in reasons[4]
    assert "name_fr" in reasons[5]
    assert "duplicate code" in reasons[6]


def test_program_row_title_falls_back_to_the_other_language(tmp_path: Path) -> None:
    base = _variant(_sample_program(), "fr-only", title_en="")
    path = tmp_path / "programs.json"
    path.write_text(json.dumps([base]), encoding="utf-8")
    [program] = list(read_programs(path))
    assert isinstance(program, ProgramRow)
    assert program.title("en") == program.title_fr and program.title("fr") == program.title_fr
    assert program.start_dates and isinstance(program.start_dates[0], date)
