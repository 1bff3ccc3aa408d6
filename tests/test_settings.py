"""The settings (knowledge/settings.py): one declaration per environment variable, the README's
configuration tables held to the declarations, nothing else reading the environment, each
kind of process refusing a malformed value as it starts with a message naming the variable,
and one way to make the engine's endpoints file."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from ruamel.yaml import YAML
from sqlalchemy.engine import make_url

from actions import server as actions_server
from bot import cli
from bot.api.app import create_app
from bot.console import analytics, routes
from bot.engine import serve
from bot.stack import (
    ROOT_ENDPOINTS,
    Stack,
    StackConfig,
    StackError,
    endpoints_yaml,
    free_port,
    root_endpoints_yaml,
    write_endpoints,
)
from connectors.telegram import service as telegram_service
from connectors.telegram.settings import Settings as TelegramSettings
from knowledge.referrals import conversation_ref, link_ref
from knowledge.settings import (
    DEFAULT_TRACKER_DB,
    PROJECT_ROOT,
    RETIRED,
    VARIABLES,
    ActionsSettings,
    CliSettings,
    EngineSettings,
    ProcessSettings,
    SettingsError,
    WebSettings,
    variables_of,
    web_settings,
)

README = PROJECT_ROOT / "README.md"
SETTINGS = {"web": WebSettings, "actions": ActionsSettings, "engine": EngineSettings,
            "cli": CliSettings, "telegram": TelegramSettings}
# Read by bot/engine_python.sh, the test suite and the benches, which have no settings object.
WITHOUT_SETTINGS = {"setup", "tests", "bench"}
TOKEN = "a-token-for-these-tests"          # 23 characters: long enough
WEB = {"PATHFINDER_RASA_TOKEN": TOKEN}    # what the web app cannot start without
TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123:abc", "PATHFINDER_RASA_TOKEN": TOKEN}
STRAY = "PATHFINDER_" + "NOT_A_SETTING"  # in two parts: the repository scan must not see it
NAME = re.compile(r"\b(?:PATHFINDER|TELEGRAM)_[A-Z0-9_]*[A-Z0-9]\b")


# --- declarations --------------------------------------------------------------------------

def test_every_variable_is_declared_once() -> None:
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names)), "a variable is declared twice"
    assert not set(names) & set(RETIRED)
    kinds = {kind for variable in VARIABLES for kind in variable.kinds}
    assert kinds == set(SETTINGS) | WITHOUT_SETTINGS


@pytest.mark.parametrize("kind", SETTINGS)
def test_each_kind_reads_exactly_the_variables_declared_for_it(kind: str) -> None:
    read = [variable.name for variable in variables_of(SETTINGS[kind])]
    declared = [variable.name for variable in VARIABLES if kind in variable.kinds]
    assert len(read) == len(set(read))
    assert set(read) == set(declared)


def _readme_table(heading: str, within: str | None = None) -> dict[str, str]:
    """Variable -> "default" cell of the first table under ``heading`` (the first such
    heading after ``within``, when given)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(within) if within else 0
    start = lines.index(heading, start)
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("| variable |"))
    table: dict[str, str] = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        name, default, _meaning = (cell.strip() for cell in line.strip("|").split("|", 2))
        name = name.strip("`")
        assert name not in table, f"{name} has two rows under {heading}"
        table[name] = default
    return table


def _differences(table: dict[str, str], expected: set[str]) -> list[str]:
    by_name = {variable.name: variable for variable in VARIABLES}
    problems = [f"{name}: declared, missing from the README" for name in expected - set(table)]
    problems += [f"{name}: in the README, not declared for it" for name in set(table) - expected]
    problems += [f"{name}: the README says {table[name]!r}, the declaration "
                 f"{by_name[name].documented_default!r}"
                 for name in set(table) & expected
                 if table[name] != by_name[name].documented_default]
    return sorted(problems)


def test_the_readme_configuration_table_is_the_declarations() -> None:
    table = _readme_table("## Configuration")
    assert table.pop("TELEGRAM_*") == "", "the pointer to the Telegram table"
    expected = {v.name for v in VARIABLES if not v.name.startswith("TELEGRAM_")}
    assert _differences(table, expected) == []


def test_the_readme_telegram_table_is_the_connectors_declarations() -> None:
    table = _readme_table("### Configuration", within="## Telegram")
    expected = {v.name for v in VARIABLES if "telegram" in v.kinds}
    assert _differences(table, expected) == []


def test_the_readme_check_fails_on_a_missing_row_a_stray_one_and_another_default() -> None:
    table = _readme_table("## Configuration")
    table.pop("TELEGRAM_*")
    expected = {v.name for v in VARIABLES if not v.name.startswith("TELEGRAM_")}
    table.pop("PATHFINDER_INQUIRY_RATE")
    table[STRAY] = "none"
    table["PATHFINDER_MAX_BODY_BYTES"] = "`1024`"
    assert _differences(table, expected) == [
        "PATHFINDER_INQUIRY_RATE: declared, missing from the README",
        "PATHFINDER_MAX_BODY_BYTES: the README says '`1024`', the declaration '`65536`'",
        f"{STRAY}: in the README, not declared for it"]


def _sources() -> list[Path]:
    skip = {"node_modules", "models", "var", "data", "__pycache__"}
    return [path for path in PROJECT_ROOT.rglob("*")
            if path.is_file() and path.suffix in {".py", ".md", ".yml", ".sh", ".toml", ".js"}
            and not any(part.startswith(".") or part in skip
                        for part in path.relative_to(PROJECT_ROOT).parts)]


def test_every_variable_named_in_the_repository_is_declared() -> None:
    declared = {variable.name for variable in VARIABLES} | set(RETIRED)
    named = {(name, str(path.relative_to(PROJECT_ROOT))) for path in _sources()
             for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace"))}
    assert {path for name, path in named if name == "PATHFINDER_DATABASE_URL"}, "scan works"
    assert sorted((name, path) for name, path in named if name not in declared) == []
    assert sorted((name, path) for name, path in named if name in RETIRED) == [
        ("PATHFINDER_CONSOLE_SECURE_COOKIE", "README.md"),
        ("PATHFINDER_CONSOLE_SECURE_COOKIE", "knowledge/settings.py"),
        ("PATHFINDER_CONSOLE_SECURE_COOKIE", "tests/test_settings.py")]


def test_only_the_settings_read_the_environment() -> None:
    reads = re.compile(
        r"os\.environ\s*(?:\.get|\[|\.setdefault)|os\.getenv|in os\.environ(?!\.)")
    # Setting a variable is no reading (the tests set some for the stacks they start), nor is
    # copying the environment into a subprocess's (dict(os.environ, ...), .items()).
    sets = re.compile(r"os\.environ\[[^]]+\]\s*=(?!=)")
    allowed = {  # (file, what the line names): reads that are no setting of ours
        # Sanic sets SANIC_WORKER_NAME in its workers.
        ("actions/context.py", "SANIC_WORKER_NAME"),
        # Other programs' variables: the CI system's, Playwright's (set if unset), pyenv's
        # (where bot/engine_python.sh looks for python3.10 too).
        ("tests/conftest.py", '"CI"'),
        ("tests/conftest.py", "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"),
        ("tests/test_setup.py", "PYENV_ROOT"),
    }
    found = []
    for package in ("knowledge", "bot", "actions", "connectors", "tests"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            where = str(path.relative_to(PROJECT_ROOT))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if where != "knowledge/settings.py" and reads.search(sets.sub("", line)) \
                        and not any(where == file and name in line for file, name in allowed):
                    found.append(f"{where}:{number}: {line.strip()}")
    assert found == []


# --- values --------------------------------------------------------------------------------

def test_unset_and_blank_give_the_declared_defaults() -> None:
    for env in (WEB, {**WEB, "PATHFINDER_INQUIRY_RATE": "  ", "PATHFINDER_SECURE_COOKIES": ""}):
        settings = WebSettings.from_env(env)
        assert settings.inquiry_rate == (5, 600.0) and settings.login_failure_rate == (20, 900.0)
        assert settings.max_body_bytes == 65536 and settings.low_confidence == 0.6
        assert settings.trusted_proxies == () and settings.secure_cookies is False
        assert settings.import_token is None and settings.secret_key is None
        assert settings.rasa_url == "http://127.0.0.1:5005"
        assert settings.tracker_db_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    assert EngineSettings.from_env(WEB).turn_timeout_s == 20.0
    assert CliSettings.from_env({}).retention_days is None
    assert CliSettings.from_env({}).data_dir == PROJECT_ROOT / "data"
    # Built directly (the connector's tests do), the Telegram settings have the same defaults.
    from_env = TelegramSettings.from_env(TELEGRAM)
    assert replace(from_env, rasa_token=None) == TelegramSettings(token="123:abc")
    assert from_env.send_timeout_s == 10.0 and from_env.send_attempts == 5
    assert from_env.api_base_url == "https://api.telegram.org"


def test_good_values_are_read() -> None:
    settings = WebSettings.from_env({
        **WEB, "PATHFINDER_INQUIRY_RATE": "3/60", "PATHFINDER_SECURE_COOKIES": "1",
        "PATHFINDER_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,", "PATHFINDER_SECRET_KEY":
        "sixteen chars ok", "PATHFINDER_CONSOLE_LOW_CONFIDENCE": "0.25"})
    assert settings.inquiry_rate == (3, 60.0) and settings.secure_cookies is True
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "127.0.0.1/32"]
    assert settings.secret_key == b"sixteen chars ok" and settings.low_confidence == 0.25
    assert CliSettings.from_env({"PATHFINDER_RETENTION_DAYS": "30"}).retention_days == 30
    assert TelegramSettings.from_env(TELEGRAM, rasa_url="http://rasa:5005").rasa_url == (
        "http://rasa:5005")


@pytest.mark.parametrize("name, value, expected", [
    ("PATHFINDER_INQUIRY_RATE", "abc", "must be COUNT/SECONDS"),
    ("PATHFINDER_INQUIRY_RATE", "0/600", "must be COUNT/SECONDS"),
    ("PATHFINDER_LOGIN_FAILURE_RATE", "20/0.5", "must be COUNT/SECONDS"),
    ("PATHFINDER_LOGIN_FAILURE_RATE", "20", "must be COUNT/SECONDS"),
    ("PATHFINDER_TRUSTED_PROXIES", "10.0.0.5, proxy.local", "'proxy.local' is neither"),
    ("PATHFINDER_MAX_BODY_BYTES", "64k", "must be a whole number of bytes"),
    ("PATHFINDER_MAX_BODY_BYTES", "-1", "must be a whole number of bytes"),
    ("PATHFINDER_CONSOLE_LOW_CONFIDENCE", "high", "must be a number from 0 to 1"),
    ("PATHFINDER_CONSOLE_LOW_CONFIDENCE", "60", "must be a number from 0 to 1"),
    ("PATHFINDER_SECURE_COOKIES", "true", "must be 1 (on) or 0 (off)"),
    ("PATHFINDER_SECRET_KEY", "0123456789", "must be at least 16 characters"),
    ("PATHFINDER_IMPORT_TOKEN", "0123456789", "must be at least 16 characters"),
    ("PATHFINDER_RASA_TOKEN", "0123456789", "must be at least 16 characters"),
    ("PATHFINDER_RASA_TOKEN", "jeton-accentué-très-long", "printable ASCII"),
    ("PATHFINDER_RASA_URL", "127.0.0.1:5005", "must be a URL starting with http://"),
    ("PATHFINDER_RASA_URL", "ftp://rasa:hunter2@engine:5005", "must be a URL starting with "
     "http:// or https:// and naming a host"),
    ("PATHFINDER_DATABASE_URL", "var/kb.sqlite", "must be an SQLAlchemy URL"),
    ("PATHFINDER_TRACKER_DB_URL", "var/tracker.db", "must be an SQLAlchemy URL"),
])
def test_the_web_app_refuses_a_malformed_setting(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as refused:
        WebSettings.from_env({**WEB, name: value})
    message = str(refused.value)
    assert message.startswith(name) and expected in message
    if any(part in name for part in ("TOKEN", "KEY", "DB", "DATABASE", "URL")):
        assert value not in message, "a secret (or a URL with a password) is never repeated"


@pytest.mark.parametrize("kind, env, expected", [
    ("engine", {**WEB, "PATHFINDER_TURN_TIMEOUT_S": "abc"}, "PATHFINDER_TURN_TIMEOUT_S must be"),
    ("engine", {**WEB, "PATHFINDER_TURN_TIMEOUT_S": "0"}, "PATHFINDER_TURN_TIMEOUT_S must be"),
    ("engine", {**WEB, "PATHFINDER_TURN_TIMEOUT_S": "nan"}, "PATHFINDER_TURN_TIMEOUT_S must"),
    ("engine", {}, "PATHFINDER_RASA_TOKEN is not set"),
    ("web", {}, "PATHFINDER_RASA_TOKEN is not set"),
    ("actions", {"PATHFINDER_DATABASE_URL": "kb.sqlite"}, "PATHFINDER_DATABASE_URL must be"),
    ("cli", {"PATHFINDER_RETENTION_DAYS": "abc"}, "PATHFINDER_RETENTION_DAYS must be a whole"),
    ("cli", {"PATHFINDER_RETENTION_DAYS": "0"}, "PATHFINDER_RETENTION_DAYS must be a whole"),
    ("cli", {"PATHFINDER_RETENTION_DAYS": "30d"}, "PATHFINDER_RETENTION_DAYS must be a whole"),
    ("telegram", {**TELEGRAM, "TELEGRAM_SEND_ATTEMPTS": "0"}, "TELEGRAM_SEND_ATTEMPTS must"),
    ("telegram", {**TELEGRAM, "TELEGRAM_SEND_ATTEMPTS": "five"}, "TELEGRAM_SEND_ATTEMPTS must"),
    ("telegram", {**TELEGRAM, "TELEGRAM_SEND_TIMEOUT_S": "-1"}, "TELEGRAM_SEND_TIMEOUT_S must"),
    ("telegram", {**TELEGRAM, "TELEGRAM_POLL_TIMEOUT_S": "1.5"}, "TELEGRAM_POLL_TIMEOUT_S must"),
    ("telegram", {**TELEGRAM, "TELEGRAM_API_BASE_URL": "api.telegram.org"},
     "TELEGRAM_API_BASE_URL must be a URL"),
    ("telegram", {**TELEGRAM, "TELEGRAM_WEBHOOK_URL": "http://bot.example/hook"},
     "TELEGRAM_WEBHOOK_URL must be a URL starting with https://"),
    ("telegram", {**TELEGRAM, "PATHFINDER_PUBLIC_URL": "www.example.org"},
     "PATHFINDER_PUBLIC_URL must be a URL"),
    ("telegram", {"PATHFINDER_RASA_TOKEN": TOKEN}, "TELEGRAM_BOT_TOKEN is not set. Create a bot "
     "with @BotFather"),
    ("telegram", {"TELEGRAM_BOT_TOKEN": "123:abc"}, "PATHFINDER_RASA_TOKEN is not set"),
])
def test_every_kind_refuses_what_it_cannot_use(kind: str, env: dict[str, str],
                                               expected: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(expected)):
        SETTINGS[kind].from_env(env)  # type: ignore[attr-defined]


def test_one_error_names_every_malformed_variable() -> None:
    with pytest.raises(SettingsError) as refused:
        WebSettings.from_env({"PATHFINDER_INQUIRY_RATE": "abc",
                              "PATHFINDER_SECURE_COOKIES": "yes"})
    assert [line.split()[0] for line in str(refused.value).splitlines()] == [
        "PATHFINDER_RASA_TOKEN", "PATHFINDER_INQUIRY_RATE", "PATHFINDER_SECURE_COOKIES"]


def test_the_secure_cookies_switch_has_one_name() -> None:
    """Its former name is refused rather than ignored: ignored, cookies would go over HTTP
    where the operator asked for HTTPS only."""
    env = {**WEB, "PATHFINDER_CONSOLE_SECURE_COOKIE": "1"}
    with pytest.raises(SettingsError, match="PATHFINDER_CONSOLE_SECURE_COOKIE is no longer "
                       "read: set PATHFINDER_SECURE_COOKIES instead"):
        WebSettings.from_env(env)
    assert WebSettings.from_env({**env, "PATHFINDER_CONSOLE_SECURE_COOKIE": ""}).secure_cookies \
        is False
    ActionsSettings.from_env(env)  # no other kind ever read it


def test_the_accessor_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Request handlers call web_settings(): parsed once per set of values, and again when
    one changes (how the tests set a value with monkeypatch.setenv)."""
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "7/70")
    first = web_settings()
    assert first.inquiry_rate == (7, 70.0) and web_settings() is first
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "8/80")
    assert web_settings().inquiry_rate == (8, 80.0)
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "eight")
    with pytest.raises(SettingsError, match="PATHFINDER_INQUIRY_RATE"):
        web_settings()


@pytest.mark.parametrize("kind, name", [
    ("web", "PATHFINDER_RASA_URL"), ("telegram", "PATHFINDER_RASA_URL"),
    ("telegram", "PATHFINDER_PUBLIC_URL"), ("telegram", "TELEGRAM_API_BASE_URL"),
    ("telegram", "TELEGRAM_WEBHOOK_URL")])
def test_a_refused_url_is_not_repeated(kind: str, name: str) -> None:
    """A URL may hold a user:password: the error names the variable and what it expects."""
    for value in ("ftp://user:hunter2@host/path", "user:hunter2@host", "https:///hunter2"):
        with pytest.raises(SettingsError) as refused:
            SETTINGS[kind].from_env({**TELEGRAM, name: value})  # type: ignore[attr-defined]
        assert str(refused.value).startswith(f"{name} must be a URL starting with ")
        assert "hunter2" not in str(refused.value)


def test_secrets_are_left_out_of_the_settings_repr() -> None:
    """A settings object may be logged or shown in a traceback: its secrets (tokens, keys,
    URLs that may hold a password) are not in its repr; the other values are."""
    hidden = ["rasa-token-hunter2", "secret-key-hunter2", "import-token-hunter2",
              "dbpass-hunter2", "trackerpass-hunter2", "urlpass-hunter2", "123:bot-hunter2",
              "webhook-hunter2"]
    env = {"PATHFINDER_RASA_TOKEN": hidden[0], "PATHFINDER_SECRET_KEY": hidden[1],
           "PATHFINDER_IMPORT_TOKEN": hidden[2],
           "PATHFINDER_DATABASE_URL": f"postgresql+psycopg://kb:{hidden[3]}@db/kb",
           "PATHFINDER_TRACKER_DB_URL": f"postgresql+psycopg://rasa:{hidden[4]}@db/rasa",
           "PATHFINDER_RASA_URL": f"http://rasa:{hidden[5]}@engine:5005",
           "PATHFINDER_PUBLIC_URL": f"https://u:{hidden[5]}@pathfinder.example",
           "TELEGRAM_BOT_TOKEN": hidden[6], "TELEGRAM_WEBHOOK_SECRET": hidden[7],
           "PATHFINDER_INQUIRY_RATE": "3/60", "TELEGRAM_SEND_ATTEMPTS": "7"}
    shown = [repr(cls.from_env(env)) for cls in (WebSettings, CliSettings, EngineSettings,
                                                  ActionsSettings, TelegramSettings)]
    shown.append(repr(TelegramSettings(token=hidden[6], rasa_token=hidden[0],
                                       secret_key=hidden[1].encode(),
                                       webhook_secret=hidden[7])))
    assert [text for text in shown if "hunter2" in text] == []
    assert "inquiry_rate=(3, 60.0)" in shown[0] and "send_attempts=7" in shown[4]


def test_every_kind_of_process_reads_its_settings_the_same_way() -> None:
    """One from_env, ProcessSettings': each settings class of this module names its kind."""
    for kind, cls in SETTINGS.items():
        if cls is TelegramSettings:
            continue  # the connector's own, with command-line overrides
        assert issubclass(cls, ProcessSettings)
        assert kind == cls.KIND and "from_env" not in vars(cls)
        assert type(cls.from_env(WEB)) is cls


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///var/t.db", f"sqlite:///{PROJECT_ROOT.as_posix()}/var/t.db"),
    ("sqlite+pysqlite:///./var/t.db?timeout=5",
     f"sqlite+pysqlite:///{PROJECT_ROOT.as_posix()}/var/t.db?timeout=5"),
    ("sqlite:////srv/pathfinder/t.db", "sqlite:////srv/pathfinder/t.db"),
    ("sqlite:///:memory:", "sqlite:///:memory:"),
    ("sqlite://", "sqlite://"),
    ("postgresql+psycopg://rasa@db/rasa", "postgresql+psycopg://rasa@db/rasa"),
])
def test_a_relative_sqlite_tracker_store_is_under_the_project_root(
        url: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wherever the process runs: the parser resolves it, once, for every reader."""
    monkeypatch.chdir(tmp_path)
    assert WebSettings.from_env({**WEB, "PATHFINDER_TRACKER_DB_URL": url}).tracker_db_url == (
        expected)
    assert CliSettings.from_env({"PATHFINDER_TRACKER_DB_URL": url}).tracker_db_url == expected


def test_every_reader_of_the_tracker_store_finds_the_same_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine of `pathfinder run`, the console and `conversations purge`, run from
    another directory than the project root."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL", "sqlite:///var/t.db")
    file = PROJECT_ROOT / "var" / "t.db"
    assert StackConfig(root=PROJECT_ROOT).tracker_db_path == file
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))
    store = routes.tracker(cast(Any, request))
    assert make_url(store.url).database == str(file)
    # The purge's --tracker-db-url means what the variable means...
    args = cli.build_parser().parse_args(["conversations", "purge", "--tracker-db-url",
                                          "sqlite:///var/t.db"])
    assert args.tracker_db_url == f"sqlite:///{file}"


def test_the_purges_tracker_url_option_is_checked_and_not_repeated(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.build_parser().parse_args(["conversations", "purge", "--tracker-db-url",
                                       "rasa:hunter2@db/rasa"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --tracker-db-url: must be an SQLAlchemy URL" in err
    assert "hunter2" not in err


def test_the_key_of_program_links_is_the_one_the_settings_hold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The checked value is passed on: not the variable read again."""
    sender, key = "web-" + "ab" * 16, b"the settings' own key"
    monkeypatch.setenv("PATHFINDER_SECRET_KEY", "short")  # unusable, were it read again
    assert link_ref(sender, key) == conversation_ref(sender, key)
    assert link_ref(sender, None) is None
    # The console's analytics get the web app's settings' key.
    monkeypatch.setenv("PATHFINDER_SECRET_KEY", key.decode())
    given: dict[str, Any] = {}

    def compute(*args: Any, **kwargs: Any) -> analytics.Analytics:
        given.update(kwargs)
        return analytics.Analytics()

    monkeypatch.setattr(analytics, "compute", compute)
    store = SimpleNamespace(activity=lambda since: [])
    routes._analytics(cast(Any, None), cast(Any, store), 4)
    assert given["ref_key"] == key == web_settings().secret_key


# --- each process, as it starts --------------------------------------------------------------

def test_the_web_app_does_not_start_with_a_malformed_setting(
        monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "abc")
    with pytest.raises(SettingsError, match="PATHFINDER_INQUIRY_RATE must be COUNT/SECONDS"):
        create_app(sqlite_url)  # not at the first inquiry: at the start


def test_the_engine_does_not_start_with_a_malformed_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_TURN_TIMEOUT_S", "twenty")
    monkeypatch.setattr(sys, "argv", ["bot.engine.serve", "run"])
    with pytest.raises(SystemExit) as stopped:
        serve.main()  # before Rasa is imported: no Rasa in this environment
    assert "PATHFINDER_TURN_TIMEOUT_S must be a number of seconds above 0" in str(stopped.value)
    monkeypatch.setenv("PATHFINDER_TURN_TIMEOUT_S", "20")
    monkeypatch.setenv("PATHFINDER_RASA_TOKEN", "too short")
    with pytest.raises(SystemExit, match="PATHFINDER_RASA_TOKEN must be at least 16"):
        serve.main()


def test_the_actions_server_does_not_start_with_a_malformed_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_DATABASE_URL", "var/pathfinder.sqlite")
    monkeypatch.setattr(sys, "argv", ["actions.server", "--actions", "actions"])
    with pytest.raises(SystemExit, match="PATHFINDER_DATABASE_URL must be an SQLAlchemy URL"):
        actions_server.main()


def test_a_pathfinder_command_does_not_start_with_a_malformed_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATHFINDER_RETENTION_DAYS", "a month")
    assert cli.main(["occupation", "21231"]) == 2
    assert "PATHFINDER_RETENTION_DAYS must be a whole number of days" in capsys.readouterr().err


def test_pathfinder_run_checks_every_service_before_starting_any(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """A web app setting the engine does not read still stops the run at once, not after
    the engine's minute of loading."""
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "abc")
    started = time.monotonic()
    assert cli.main(["run", "--port", str(free_port()), "--rasa-port", str(free_port()),
                     "--actions-port", str(free_port()),
                     "--log-dir", str(tmp_path / "logs")]) == 2
    assert time.monotonic() - started < 10
    assert ("The web app cannot start: PATHFINDER_INQUIRY_RATE must be COUNT/SECONDS"
            in capsys.readouterr().err)
    assert not (tmp_path / "logs").exists(), "nothing was started"


def test_the_stack_checks_the_engines_settings_with_its_environment(tmp_path: Path) -> None:
    config = StackConfig(root=PROJECT_ROOT, rasa_port=free_port(), actions_port=free_port(),
                         web_port=None, tracker_db=tmp_path / "tracker.db",
                         log_dir=tmp_path / "logs", rasa_env={"PATHFINDER_TURN_TIMEOUT_S": "0"})
    with pytest.raises(StackError, match="The Rasa engine cannot start: "
                       "PATHFINDER_TURN_TIMEOUT_S must be a number of seconds above 0"):
        Stack(config)


def test_the_telegram_connector_does_not_start_with_a_malformed_setting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_SEND_ATTEMPTS", "many")
    assert telegram_service.main(["--mode", "polling", "--port", str(free_port())]) == 2
    assert "TELEGRAM_SEND_ATTEMPTS must be a whole number, 1 or more" in capsys.readouterr().err


# --- the engine's endpoints file ------------------------------------------------------------

def test_the_repositorys_endpoints_file_is_the_one_the_stack_makes() -> None:
    assert ROOT_ENDPOINTS.read_text(encoding="utf-8") == root_endpoints_yaml(), (
        "endpoints.yml is out of date: .venv/bin/python -c "
        "'import bot.stack; bot.stack.write_root_endpoints()'")
    endpoints = YAML(typ="safe").load(ROOT_ENDPOINTS.read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["db"] == DEFAULT_TRACKER_DB.as_posix()
    assert endpoints["action_endpoint"]["url"] == (
        f"http://127.0.0.1:{StackConfig.actions_port}/webhook")


def test_a_runs_tracker_store_is_where_the_setting_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHFINDER_TRACKER_DB_URL", raising=False)
    assert StackConfig(root=PROJECT_ROOT).tracker_db_path == PROJECT_ROOT / DEFAULT_TRACKER_DB
    monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL", f"sqlite:///{tmp_path / 'talks.db'}")
    config = StackConfig(root=PROJECT_ROOT, actions_port=6055, log_dir=tmp_path / "logs")
    assert config.tracker_db_path == tmp_path / "talks.db"
    written = write_endpoints(config).read_text(encoding="utf-8")
    assert written.endswith(endpoints_yaml(6055, tmp_path / "talks.db", ""))
    endpoints = YAML(typ="safe").load(written)
    assert endpoints["tracker_store"]["db"] == str(tmp_path / "talks.db")
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:6055/webhook",
                                            "enable_selective_domain": True}
    # --tracker-db wins; a relative file is under the root (the services' working directory).
    assert StackConfig(root=PROJECT_ROOT, tracker_db=tmp_path / "x.db").tracker_db_path == (
        tmp_path / "x.db")
    monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL", "sqlite:///var/other.db")
    assert StackConfig(root=PROJECT_ROOT).tracker_db_path == PROJECT_ROOT / "var/other.db"
    monkeypatch.setenv("PATHFINDER_TRACKER_DB_URL", "postgresql+psycopg://u@db/rasa")
    with pytest.raises(StackError, match="PATHFINDER_TRACKER_DB_URL must be a sqlite:///FILE"):
        StackConfig(root=PROJECT_ROOT)
