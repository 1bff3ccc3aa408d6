"""Institutions import programs from CSV or JSON: a good file lands whole (tags pending until
staff accept them, recommender data refreshed); a file with malformed rows is refused whole,
each bad row reported with its line, on SQLite and PostgreSQL; the CLI and the token-protected
API endpoint do the same. Real SQLite copies of the test knowledge base."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, update
from sqlalchemy.orm import Session

from bot.cli import main as cli_main
from knowledge import models, snapshot
from knowledge.catalog_import import ImportRefused, import_programs
from knowledge.settings import PROJECT_ROOT

SAMPLE_CSV = PROJECT_ROOT / "data" / "catalog" / "programs.csv"
SAMPLE_JSON = PROJECT_ROOT / "data" / "catalog" / "programs.json"
TOKEN = "test-import-token-0123456789"


def _sample_rows(count: int, institution: str = "algonquin") -> list[dict[str, str]]:
    lines = [line for line in SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    rows = [r for r in csv.DictReader(io.StringIO("\n".join(lines)))
            if r["institution_id"] == institution]
    return rows[:count]


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def new_rows(prefix: str, count: int = 3) -> list[dict[str, str]]:
    """Sample rows of one institution under new ids (so they are new programs)."""
    rows = _sample_rows(count)
    for row in rows:
        row["id"] = f"{row['institution_id']}-{prefix}-{row['id']}"[:120]
        row["url"] = row["url"] + "-" + prefix
    return rows


def json_programs(prefix: str, count: int = 2) -> list[dict[str, object]]:
    programs = [p for p in json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))["programs"]
                if p["institution_id"] == "conestoga"][:count]
    for program in programs:
        program["id"] = f"conestoga-{prefix}-{program['id']}"[:120]
    return programs


def program_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(models.Program)) or 0


def test_good_csv_adds_every_program_with_tags_pending_and_refreshes_the_recommender(
        kb_engine: Engine) -> None:
    rows = new_rows("good")
    with Session(kb_engine) as session:
        before = program_count(session)
        version_before = snapshot.version(session)
    with Session(kb_engine) as session:
        report = import_programs(session, csv_file(rows), "ours.csv")
    assert report.ok and report.errors == []
    assert report.added == [r["id"] for r in rows]
    with Session(kb_engine) as session:
        assert program_count(session) == before + len(rows)
        stored = session.get(models.Program, rows[0]["id"])
        assert stored is not None and stored.title_en == rows[0]["title_en"]
        # nothing counts before staff accept it
        assert session.scalars(select(models.ProgramSkill).where(
            models.ProgramSkill.program_id.in_([r["id"] for r in rows]))).all() == []
        pending = session.scalars(select(models.TagSuggestion).where(
            models.TagSuggestion.program_id == rows[0]["id"])).all()
        assert {s.status for s in pending} == {"pending"}
        listed = {s.code for s in pending if s.source == "institution"}
        assert listed == set(rows[0]["skills"].split("|")) | set(rows[0]["occupations"].split("|"))
        assert snapshot.version(session) != version_before


def test_reimporting_updates_programs_instead_of_duplicating(kb_engine: Engine) -> None:
    rows = new_rows("again", 2)
    with Session(kb_engine) as session:
        assert import_programs(session, csv_file(rows), "a.csv").added == [r["id"] for r in rows]
    rows[0]["cost"] = "123"
    with Session(kb_engine) as session:
        before = program_count(session)
        report = import_programs(session, csv_file(rows), "a.csv")
        assert report.updated == [r["id"] for r in rows] and report.added == []
    with Session(kb_engine) as session:
        assert program_count(session) == before
        program = session.get(models.Program, rows[0]["id"])
        assert program is not None and float(program.cost) == 123.0


def test_reimporting_a_program_does_not_suggest_the_tags_it_already_has(
        kb_engine: Engine) -> None:
    [row] = _sample_rows(1, "conestoga")  # a program of the loaded catalog, with its tags
    with Session(kb_engine) as session:
        report = import_programs(session, csv_file([row]), "ours.csv")
        assert report.updated == [row["id"]] and report.added == []
        pending = set(session.execute(
            select(models.TagSuggestion.kind, models.TagSuggestion.code)
            .where(models.TagSuggestion.program_id == row["id"],
                   models.TagSuggestion.source == "institution")).tuples())
    assert row["skills"] and row["occupations"]
    assert pending == set()  # every listed skill and occupation is already accepted


def test_malformed_csv_rows_are_reported_by_line_and_nothing_is_imported(
        kb_engine: Engine) -> None:
    rows = new_rows("bad", 4)
    rows[1]["cost"] = "$845"             # line 3 (header is line 1)
    rows[3]["delivery"] = "by carrier pigeon"
    rows[3]["occupations"] = "99999"     # line 5: two problems in one reason
    with Session(kb_engine) as session:
        before = program_count(session)
        report = import_programs(session, csv_file(rows), "ours.csv")
    assert not report.ok and report.added == []
    assert [e.line for e in report.errors] == [3, 5]
    assert "cost" in report.errors[0].reason
    assert "delivery" in report.errors[1].reason and "99999" in report.errors[1].reason
    assert str(report.errors[0]).startswith("ours.csv:3: ")
    with Session(kb_engine) as session:
        assert program_count(session) == before
        assert session.get(models.Program, rows[0]["id"]) is None  # the good rows neither


def test_json_import_and_its_malformed_programs_named_by_index(kb_engine: Engine) -> None:
    good = json_programs("json", 2)
    with Session(kb_engine) as session:
        report = import_programs(session, json.dumps({"programs": good}, indent=2).encode(),
                                 "ours.json")
    assert report.ok and report.added == [p["id"] for p in good]

    bad = json_programs("jsonbad", 3)
    bad[2]["weeks"] = "six"
    document = json.dumps({"programs": bad}, indent=2)
    with Session(kb_engine) as session:
        before = program_count(session)
        report = import_programs(session, document.encode(), "ours.json")
        assert program_count(session) == before
    assert len(report.errors) == 1
    error = report.errors[0]
    assert "program [2]" in error.reason and "weeks" in error.reason
    # the line where the third program's object starts
    assert document.splitlines()[error.line - 1].strip() == "{"
    assert document.splitlines()[error.line].strip().startswith('"id": "conestoga-jsonbad')


def test_malformed_json_is_one_error_with_its_line(kb_engine: Engine) -> None:
    with Session(kb_engine) as session:
        report = import_programs(session, b'{"programs": [\n {"id": "x",\n }', "broken.json")
    assert not report.ok and report.errors[0].line >= 2
    assert "invalid JSON" in report.errors[0].reason


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"), (b"  \n\n", "empty"), (b"\xff\xfe\x00bad", "UTF-8"),
])
def test_unusable_files_are_refused_whole(kb_engine: Engine, content: bytes, reason: str) -> None:
    with Session(kb_engine) as session, pytest.raises(ImportRefused, match=reason):
        import_programs(session, content, "x.csv")


def test_hostile_cells_are_rows_with_reasons_not_crashes(kb_engine: Engine) -> None:
    rows = new_rows("hostile", 3)
    rows[0]["id"] = "'; DROP TABLE programs;--"
    rows[1]["title_en"] = "x" * 10_000
    rows[2]["url"] = "javascript:alert(1)"
    rows.append(new_rows("hostile2", 4)[3] | {"weeks": str(10**12)})
    with Session(kb_engine) as session:
        before = program_count(session)
        report = import_programs(session, csv_file(rows), "hostile.csv")
        assert program_count(session) == before
    assert [e.line for e in report.errors] == [2, 3, 4, 5]
    assert "slug" in report.errors[0].reason
    assert "weeks" in report.errors[3].reason
    assert "longer than 300" in report.errors[1].reason
    assert "https" in report.errors[2].reason


def test_an_institution_imports_only_its_own_programs(kb_engine: Engine) -> None:
    rows = new_rows("other", 1)
    with Session(kb_engine) as session:
        report = import_programs(session, csv_file(rows), "x.csv", institution="conestoga")
        assert not report.ok and "not 'conestoga'" in report.errors[0].reason
        with pytest.raises(ImportRefused, match="not an institution"):
            import_programs(session, csv_file(rows), "x.csv", institution="nowhere-college")


def test_a_check_after_the_reader_names_the_rows_own_line(kb_engine: Engine) -> None:
    # The second row's id is the start of the first's: the error is still on line 3.
    rows = new_rows("prefix", 2)
    rows[0]["id"] = rows[1]["id"] + "-2"
    rows[1]["title_en"] = "T" * 301  # too long for the catalog: a check the reader lacks
    with Session(kb_engine) as session:
        report = import_programs(session, csv_file(rows), "x.csv")
    assert [e.line for e in report.errors] == [3] and "title_en" in report.errors[0].reason


@pytest.mark.both_backends
def test_all_or_nothing_on_each_backend(db: Session) -> None:
    """On the shared knowledge base (SQLite and PostgreSQL): a file whose last row is bad
    leaves the catalog exactly as it was."""
    rows = new_rows("backend", 3)
    rows[2]["language"] = "klingon"
    before = program_count(db)
    report = import_programs(db, csv_file(rows), "x.csv")
    assert [e.line for e in report.errors] == [4]
    db.rollback()
    assert program_count(db) == before
    assert db.get(models.Program, rows[0]["id"]) is None


@pytest.mark.both_backends
def test_a_good_file_lands_whole_on_each_backend(db: Session) -> None:
    """The write path on SQLite and PostgreSQL (types, JSON lists, decimals); the shared
    knowledge base is put back afterwards."""
    rows = new_rows("landing", 2)
    ids = [r["id"] for r in rows]
    before = program_count(db)
    dataset = db.get(models.Dataset, "catalog")
    assert dataset is not None
    loaded = (dataset.loaded_at, dataset.rows_loaded)
    try:
        report = import_programs(db, csv_file(rows), "x.csv")
        assert report.ok and report.added == ids
        db.expire_all()
        assert program_count(db) == before + 2
        program = db.get(models.Program, ids[0])
        assert program is not None and program.schedule == rows[0]["schedule"].split("|")
    finally:
        db.rollback()
        db.execute(delete(models.TagSuggestion).where(
            models.TagSuggestion.program_id.in_(ids)))
        db.execute(delete(models.Program).where(models.Program.id.in_(ids)))
        db.execute(update(models.Dataset).where(models.Dataset.key == "catalog")
                        .values(loaded_at=loaded[0], rows_loaded=loaded[1]))
        db.commit()
    assert program_count(db) == before


@pytest.mark.both_backends
def test_a_database_failure_mid_import_leaves_nothing(db: Session) -> None:
    """If the database fails after some rows were written (here: on the second program's
    flush), the rows already sent are rolled back too."""
    rows = new_rows("midway", 3)
    before = program_count(db)
    flushes = {"count": 0}

    def fail_on_second_program(flushing: Session, *_: object) -> None:
        if any(isinstance(o, models.Program) for o in flushing.new):
            flushes["count"] += 1
            if flushes["count"] == 2:
                raise RuntimeError("simulated database failure")

    event.listen(db, "before_flush", fail_on_second_program)
    try:
        with pytest.raises(RuntimeError, match="simulated"):
            import_programs(db, csv_file(rows), "x.csv")
    finally:
        event.remove(db, "before_flush", fail_on_second_program)
    assert flushes["count"] == 2  # the first program had been sent to the database
    assert program_count(db) == before
    assert db.get(models.Program, rows[0]["id"]) is None


def test_cli_imports_and_reports_line_numbers(kb_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "ours.csv"
    good.write_bytes(csv_file(new_rows("cli", 1)))
    assert cli_main(["--database", kb_url, "catalog", "import", str(good),
                     "--institution", "algonquin"]) == 0
    assert "1 added" in capsys.readouterr().out
    rows = new_rows("clibad", 2)
    rows[1]["weeks"] = "-1"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(rows))
    assert cli_main(["--database", kb_url, "catalog", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv:3: " in err and "Nothing imported" in err


def test_api_import_needs_the_token(client: TestClient,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    body = csv_file(new_rows("apitoken", 1))
    monkeypatch.delenv("PATHFINDER_IMPORT_TOKEN", raising=False)
    response = client.post("/api/catalog/import", content=body,
                           headers={"content-type": "text/csv"})
    assert response.status_code == 503 and "PATHFINDER_IMPORT_TOKEN" in response.json()["detail"]
    monkeypatch.setenv("PATHFINDER_IMPORT_TOKEN", TOKEN)
    for auth in (None, "Bearer wrong", TOKEN):
        headers = {"content-type": "text/csv"} | ({"authorization": auth} if auth else {})
        assert client.post("/api/catalog/import", content=body,
                           headers=headers).status_code == 401


def test_api_import_good_bad_and_malformed_files(client: TestClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_IMPORT_TOKEN", TOKEN)
    auth = {"authorization": f"Bearer {TOKEN}"}
    rows = new_rows("api", 2)
    ok = client.post("/api/catalog/import", content=csv_file(rows),
                     headers=auth | {"content-type": "text/csv"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["added"] == [r["id"] for r in rows] and ok.json()["suggestions"] > 0

    rows = new_rows("apibad", 2)
    rows[0]["schedule"] = ""
    bad = client.post("/api/catalog/import", content=csv_file(rows),
                      headers=auth | {"content-type": "text/csv"})
    assert bad.status_code == 422
    assert bad.json()["ok"] is False and bad.json()["errors"][0]["line"] == 2
    assert "schedule" in bad.json()["errors"][0]["reason"]

    broken = client.post("/api/catalog/import", content=b'[{"id": ',
                         headers=auth | {"content-type": "application/json"})
    assert broken.status_code == 422 and "invalid JSON" in broken.text
    empty = client.post("/api/catalog/import", content=b"",
                        headers=auth | {"content-type": "text/csv"})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    html = client.post("/api/catalog/import", content=b"<html><script>x</script></html>",
                       headers=auth | {"content-type": "text/html"})
    assert html.status_code == 415


def test_api_import_takes_large_files_but_no_json_a_catalog_could_not_hold(
        client: TestClient, kb_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the app's 64 KiB body limit imports (the import has its own limit). A
    lone surrogate (valid JSON, but no text the database can store) or a value nested 1,000
    deep refuses the whole file with the reason, nothing imported."""
    monkeypatch.setenv("PATHFINDER_IMPORT_TOKEN", TOKEN)
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    # Whitespace makes the file larger, not its JSON different.
    padding = b" " * 200_000
    [program] = json_programs("biglimit", 1)
    imported = client.post("/api/catalog/import", headers=headers,
                           content=json.dumps([program]).encode() + padding)
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == [program["id"]]
    hostile = {"title_en": b'"\\ud800 Welding"', "description_en": b'"Safe \\udc00 work"',
               "skills": b"[" * 1000 + b"]" * 1000}
    for field, value in hostile.items():
        [program] = json_programs(f"hostile-{field.replace('_', '-')}", 1)
        program[field] = "PLACEHOLDER"
        body = json.dumps([program]).encode().replace(b'"PLACEHOLDER"', value) + padding
        with Session(kb_engine) as session:
            before = program_count(session)
        refused = client.post("/api/catalog/import", content=body, headers=headers)
        assert refused.status_code == 400, field
        reason = "nested" if field == "skills" else "surrogate"
        assert reason in refused.json()["detail"], field
        with Session(kb_engine) as session:
            assert program_count(session) == before


def test_a_suggestion_id_too_large_for_the_database_is_refused(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_IMPORT_TOKEN", TOKEN)
    auth = {"authorization": f"Bearer {TOKEN}"}
    for decision in ("accept", "reject"):
        refused = client.post(f"/api/catalog/suggestions/{2**63}/{decision}", headers=auth)
        assert refused.status_code == 422, decision
        assert client.post(f"/api/catalog/suggestions/{2**63 - 1}/{decision}",
                           headers=auth).status_code == 404
