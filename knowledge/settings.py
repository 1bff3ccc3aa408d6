"""Every environment variable Pathfinder reads, declared once, and the settings of each kind
of process, read from them and checked as that process starts.

A :class:`Variable` has a name, a default (the README's configuration tables show the same:
tests/test_settings.py holds them to these declarations), a meaning, the kinds of process
that read it, and the one parser that checks its value. Each kind of process has one frozen
settings object whose fields name their variables: :class:`WebSettings` (the web app and the
staff console), :class:`ActionsSettings`, :class:`EngineSettings` (our code inside the Rasa
engine), :class:`CliSettings` (the ``pathfinder`` command, with ``pathfinder run``'s process
manager, bot/stack.py) and the Telegram connector's ``Settings``
(connectors/telegram/settings.py). Reading one raises :class:`SettingsError`, naming every
variable it cannot use and what it expects: a malformed value stops the process as it
starts, instead of being replaced by the default or failing at the first request. Code that
several kinds share (knowledge/, the Rasa client) reads the one variable it needs with
:meth:`Variable.read`: the same parser, no other way to the environment.

Standard library only, and Python 3.10: the engine's code (bot/engine/) imports this module
in Rasa's environment, which has none of the app's dependencies."""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The kinds of process that read settings. "setup" (bot/engine_python.sh), "tests" (the
# test suite) and "bench" (bench/) have no settings object, but what they read is declared
# here all the same.
Kind = Literal["web", "actions", "engine", "cli", "telegram", "setup", "tests", "bench"]
T = TypeVar("T")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Rate = tuple[int, float]  # at most COUNT events in any SECONDS

# A shorter secret could be guessed offline: a pseudonym of telegram-<chat id> from any
# shared link, tried against every key of up to a few characters.
MIN_SECRET_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 64 * 1024
# Where the engine keeps conversations by default, relative to the project root (the
# repository's endpoints.yml says the same: bot/stack.py writes both).
DEFAULT_TRACKER_DB = Path("var") / "tracker.db"


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Variable(Generic[T]):
    """One environment variable. ``default`` is the value used when it is unset or blank;
    ``shown`` is the README's "default" cell where that is not ``default`` itself (a path
    under the project root, a value made at run time). ``secret``: its value is never shown,
    not even in the repr of a settings object (a token, a key, a URL that may hold a
    user:password); its parser's errors never repeat it either."""

    name: str
    kinds: tuple[Kind, ...]
    meaning: str
    parse: Callable[[str, str | None], T] = field(repr=False, compare=False)
    default: str | None = None
    shown: str | None = None
    secret: bool = False

    @property
    def documented_default(self) -> str:
        """The default as the README's tables show it."""
        if self.shown is not None:
            return self.shown
        return "none" if self.default is None else f"`{self.default}`"

    def read(self, env: Mapping[str, str] | None = None) -> T:
        """The value in ``env`` (default: this process's environment), checked; SettingsError
        when it is unusable."""
        value = (os.environ if env is None else env).get(self.name, "").strip()
        return self.parse(self.name, value or self.default)

    def given(self, env: Mapping[str, str] | None = None) -> T | None:
        """The value when the variable is set (not blank), checked, else None: for a caller
        whose default is not the declared one (`pathfinder run --replicas` shares
        PostgreSQL where one engine keeps SQLite files)."""
        value = (os.environ if env is None else env).get(self.name, "").strip()
        return self.parse(self.name, value) if value else None


# --- parsers: (variable name, value or None when unset) -> what the settings hold ----------

def _text(name: str, value: str | None) -> str | None:
    return value


def _path(name: str, value: str | None) -> Path:
    return Path(value or ".")


def _sqlalchemy_url(name: str, value: str | None) -> str:
    # The value is not repeated: a database URL may hold a password.
    if value is None or not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value):
        raise SettingsError(f"{name} must be an SQLAlchemy URL, such as "
                            "sqlite:///var/pathfinder.sqlite or postgresql+psycopg://user@host/db.")
    return value


# sqlite:///FILE, sqlite+DRIVER:///FILE, with or without a ?query.
_SQLITE_FILE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?",
                              re.DOTALL)


def absolute_sqlite_url(url: str) -> str:
    """``url`` with a relative SQLite file made absolute under the project root
    (``sqlite:///var/t.db``: PROJECT_ROOT/var/t.db, wherever the process runs); any other URL
    (an absolute file, ``:memory:``, a ``file:`` URI, another database) as it is."""
    match = _SQLITE_FILE_URL.fullmatch(url)
    path = match["path"] if match else ""
    if match is None or path in ("", ":memory:") or path.startswith("file:") \
            or Path(path).is_absolute():
        return url
    return f"{match['scheme']}:///{(PROJECT_ROOT / path).as_posix()}{match['query'] or ''}"


def _tracker_url(name: str, value: str | None) -> str:
    # Resolved here, once: the engine of `pathfinder run`, the console and `conversations
    # purge` all find a relative SQLite file under the project root.
    return absolute_sqlite_url(_sqlalchemy_url(name, value))


def _url_parts(value: str) -> SplitResult:
    """The parts of a URL; none (empty) when it cannot be read as one."""
    try:
        return urlsplit(value)
    except ValueError:
        return urlsplit("")


def _web_url(*schemes: str) -> Callable[[str, str | None], str | None]:
    def parse(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        parts = _url_parts(value)
        if parts.scheme not in schemes or not parts.netloc:
            # The value is not repeated: a URL may hold a user:password.
            starts = " or ".join(f"{scheme}://" for scheme in schemes)
            raise SettingsError(f"{name} must be a URL starting with {starts} and naming a "
                                "host.")
        return value
    return parse


def _secret(name: str, value: str | None) -> str | None:
    # The value is never repeated.
    if value is not None and len(value) < MIN_SECRET_CHARS:
        raise SettingsError(f"{name} must be at least {MIN_SECRET_CHARS} characters long.")
    if value is not None and not (value.isascii() and value.isprintable()):
        # It travels in headers and URLs: other characters fail there, at every request.
        raise SettingsError(f"{name} may hold printable ASCII characters only.")
    return value


def _key(name: str, value: str | None) -> bytes | None:
    secret = _secret(name, value)
    return secret.encode("utf-8") if secret is not None else None


def _number(convert: Callable[[str], float], allowed: Callable[[float], bool],
            expected: str) -> Callable[[str, str | None], Any]:
    def parse(name: str, value: str | None) -> float | None:
        if value is None:
            return None
        try:
            number = convert(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and allowed(number)):
            raise SettingsError(f"{name} must be {expected}, not {value!r}.")
        return number
    return parse


def _rate(name: str, value: str | None) -> Rate:
    count, _, seconds = (value or "").partition("/")
    try:
        rate = (int(count), float(seconds))
    except ValueError:
        rate = (0, math.nan)
    if rate[0] < 1 or not (math.isfinite(rate[1]) and rate[1] >= 1):
        raise SettingsError(f"{name} must be COUNT/SECONDS, both at least 1 (e.g. 5/600: five "
                            f"in any ten minutes), not {value!r}.")
    return rate


def _flag(name: str, value: str | None) -> bool:
    if value not in (None, "0", "1"):
        raise SettingsError(f"{name} must be 1 (on) or 0 (off), not {value!r}.")
    return value == "1"


def _networks(name: str, value: str | None) -> tuple[Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"{name} must list IP addresses or CIDRs, separated by commas "
                                f"(e.g. 10.0.0.5,192.168.1.0/24): {item!r} is neither.") from None
    return tuple(networks)


def _amqp_url(name: str, value: str | None) -> str | None:
    # The value is not repeated: it holds the broker's password.
    if value is not None and not re.match(r"amqps?://", value):
        raise SettingsError(f"{name} must be an AMQP URL, such as "
                            "amqp://user:password@127.0.0.1:5672/%2F.")
    return value


def _redis_url(name: str, value: str | None) -> str | None:
    # The value is not repeated: it may hold the server's password.
    if value is None:
        return None
    parts = _url_parts(value)
    if not ((parts.scheme in ("redis", "rediss") and parts.netloc)
            or (parts.scheme == "unix" and parts.path)):
        raise SettingsError(f"{name} must be a Redis URL, such as redis://127.0.0.1:6379/0, "
                            "rediss://:PASSWORD@HOST:6380/0 or unix:///run/redis.sock.")
    return value


_SECONDS = _number(float, lambda s: s > 0, "a number of seconds above 0")

# --- the declarations, in the README's order ------------------------------------------------

DATABASE_URL = Variable(
    "PATHFINDER_DATABASE_URL", ("web", "actions", "cli"), "the knowledge base",
    _sqlalchemy_url, f"sqlite:///{PROJECT_ROOT / 'var' / 'pathfinder.sqlite'}",
    "`sqlite:///var/pathfinder.sqlite`", secret=True)
DATA_DIR = Variable(
    "PATHFINDER_DATA_DIR", ("cli",), "where `load-data` reads the open-data files", _path,
    str(PROJECT_ROOT / "data"), "`data/`")
PYTHON310 = Variable(
    "PATHFINDER_PYTHON310", ("setup",), "the Python 3.10 of the Rasa engine", _text,
    shown="found automatically")
PY310_SYSTEM_DIRS = Variable(
    "PATHFINDER_PY310_SYSTEM_DIRS", ("setup",), "the folders searched for python3.10 last",
    _text, "/usr/bin /usr/local/bin")
TURN_TIMEOUT_S = Variable(
    "PATHFINDER_TURN_TIMEOUT_S", ("engine",), "seconds a turn may take before a polite "
    "'try again'", _SECONDS, "20")
RASA_URL = Variable(
    "PATHFINDER_RASA_URL", ("web", "telegram"), "the Rasa engine the relays talk to",
    _web_url("http", "https"), "http://127.0.0.1:5005", secret=True)
RASA_TOKEN = Variable(
    "PATHFINDER_RASA_TOKEN", ("engine", "web", "telegram", "cli"), "the secret of Rasa's HTTP "
    "API, and the relays' proof to the REST channel", _secret,
    shown="a new random one per `pathfinder run`", secret=True)
PUBLIC_URL = Variable(
    "PATHFINDER_PUBLIC_URL", ("telegram",), "the web app's public base URL, for program links",
    _web_url("http", "https"), secret=True)
SECRET_KEY = Variable(
    "PATHFINDER_SECRET_KEY", ("web", "telegram", "cli"), "the key of the conversation "
    "pseudonyms in program links", _key, shown="`var/secret.key`, made once by `pathfinder run`",
    secret=True)
IMPORT_TOKEN = Variable(
    "PATHFINDER_IMPORT_TOKEN", ("web",), "the bearer token of /api/catalog/*", _secret,
    shown="unset (import and tag review answer 503)", secret=True)
INQUIRY_RATE = Variable(
    "PATHFINDER_INQUIRY_RATE", ("web",), "inquiries per client address per seconds", _rate,
    "5/600")
LOGIN_FAILURE_RATE = Variable(
    "PATHFINDER_LOGIN_FAILURE_RATE", ("web",), "failed console logins per client address per "
    "seconds", _rate, "20/900")
TRUSTED_PROXIES = Variable(
    "PATHFINDER_TRUSTED_PROXIES", ("web",), "the reverse proxies whose X-Forwarded-For counts",
    _networks)
REDIS_URL = Variable(
    "PATHFINDER_REDIS_URL", ("web", "cli"), "the Redis the web app's replicas share their "
    "rate limits through (and, with `run --replicas`, Rasa's lock store)", _redis_url,
    shown="unset (each process counts alone)", secret=True)
MAX_BODY_BYTES = Variable(
    "PATHFINDER_MAX_BODY_BYTES", ("web", "cli"), "the largest request body of the web app and "
    "the engine", _number(int, lambda n: n >= 0, "a whole number of bytes, 0 or more"),
    str(DEFAULT_MAX_BODY_BYTES))
TRACKER_DB_URL = Variable(
    "PATHFINDER_TRACKER_DB_URL", ("web", "cli"), "Rasa's tracker store (the conversations)",
    _tracker_url, f"sqlite:///{PROJECT_ROOT / DEFAULT_TRACKER_DB}",
    f"`sqlite:///{DEFAULT_TRACKER_DB.as_posix()}`", secret=True)
EVENT_BROKER_URL = Variable(
    "PATHFINDER_EVENT_BROKER_URL", ("cli",), "the RabbitMQ that `events consume --broker` "
    "reads Rasa's events from (and the engines of `run --replicas` publish them to)",
    lambda name, value: _amqp_url(name, value), shown="none",
    secret=True)
REPLICAS = Variable(
    "PATHFINDER_REPLICAS", ("cli",), "the default of `pathfinder run --replicas`",
    _number(int, lambda n: n >= 1, "a whole number, 1 or more"), "1")
RETENTION_DAYS = Variable(
    "PATHFINDER_RETENTION_DAYS", ("cli",), "the default of `conversations purge --days`",
    _number(int, lambda n: n >= 1, "a whole number of days, 1 or more"), shown="unset (keep)")
LOW_CONFIDENCE = Variable(
    "PATHFINDER_CONSOLE_LOW_CONFIDENCE", ("web",), "the intent confidence below which a turn "
    "is low-confidence", _number(float, lambda x: 0 <= x <= 1, "a number from 0 to 1"), "0.6")
SECURE_COOKIES = Variable(
    "PATHFINDER_SECURE_COOKIES", ("web",), "1: every cookie of the web app only over HTTPS",
    _flag, shown="unset")
TEST_POSTGRES_URL = Variable(
    "PATHFINDER_TEST_POSTGRES_URL", ("tests",), "the PostgreSQL server of the tests", _text,
    "postgresql+psycopg://postgres@127.0.0.1:5432/test", secret=True)
E2E_RASA_URL = Variable(
    "PATHFINDER_E2E_RASA_URL", ("tests",), "a running engine for the e2e tests", _text,
    secret=True)
SCREENSHOTS = Variable(
    "PATHFINDER_SCREENSHOTS", ("tests",), "1: the browser tests save screenshots in docs/",
    _text, shown="unset")
READABILITY_REPORT = Variable(
    "PATHFINDER_READABILITY_REPORT", ("tests",), "1: the readability tests print every reply "
    "with its score", _text, shown="unset")
LOAD_RECORDS = Variable(
    "PATHFINDER_LOAD_RECORDS", ("bench",), "the folder where bench/locustfile.py's learners "
    "record what they sent (bench/load.py sets it for Locust)", _text, shown="unset")
# The Telegram connector's own (connectors/telegram/settings.py).
TELEGRAM_BOT_TOKEN = Variable(
    "TELEGRAM_BOT_TOKEN", ("telegram",), "the bot's token from @BotFather", _text,
    shown="(required)", secret=True)
TELEGRAM_WEBHOOK_SECRET = Variable(
    "TELEGRAM_WEBHOOK_SECRET", ("telegram",), "the secret Telegram sends with each webhook "
    "request (checked in webhook mode)", _text, shown="(required in webhook mode)",
    secret=True)
TELEGRAM_WEBHOOK_URL = Variable(
    "TELEGRAM_WEBHOOK_URL", ("telegram",), "the public URL to register with setWebhook",
    _web_url("https"), secret=True)
TELEGRAM_API_BASE_URL = Variable(
    "TELEGRAM_API_BASE_URL", ("telegram",), "the Bot API server", _web_url("http", "https"),
    "https://api.telegram.org", secret=True)
TELEGRAM_SEND_TIMEOUT_S = Variable(
    "TELEGRAM_SEND_TIMEOUT_S", ("telegram",), "the timeout of each Bot API call", _SECONDS, "10")
TELEGRAM_SEND_ATTEMPTS = Variable(
    "TELEGRAM_SEND_ATTEMPTS", ("telegram",), "attempts per message before it is kept for later",
    _number(int, lambda n: n >= 1, "a whole number, 1 or more"), "5")
TELEGRAM_RETRY_BASE_DELAY_S = Variable(
    "TELEGRAM_RETRY_BASE_DELAY_S", ("telegram",), "the first backoff delay",
    _number(float, lambda s: s >= 0, "a number of seconds, 0 or more"), "0.5")
TELEGRAM_POLL_TIMEOUT_S = Variable(
    "TELEGRAM_POLL_TIMEOUT_S", ("telegram",), "the long-polling wait of getUpdates",
    _number(int, lambda n: n >= 0, "a whole number of seconds, 0 or more"), "10")

VARIABLES: tuple[Variable[Any], ...] = (
    DATABASE_URL, DATA_DIR, PYTHON310, PY310_SYSTEM_DIRS, TURN_TIMEOUT_S, RASA_URL, RASA_TOKEN,
    PUBLIC_URL, SECRET_KEY, IMPORT_TOKEN, INQUIRY_RATE, LOGIN_FAILURE_RATE, TRUSTED_PROXIES,
    REDIS_URL, MAX_BODY_BYTES, TRACKER_DB_URL, EVENT_BROKER_URL, REPLICAS, RETENTION_DAYS,
    LOW_CONFIDENCE, SECURE_COOKIES,
    TEST_POSTGRES_URL, E2E_RASA_URL, SCREENSHOTS, READABILITY_REPORT, LOAD_RECORDS,
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_URL, TELEGRAM_API_BASE_URL, TELEGRAM_SEND_TIMEOUT_S,
    TELEGRAM_SEND_ATTEMPTS, TELEGRAM_RETRY_BASE_DELAY_S, TELEGRAM_POLL_TIMEOUT_S)
# Names no longer read, with the one to set instead and the kind that refuses to start with
# them: silently ignoring PATHFINDER_CONSOLE_SECURE_COOKIE=1 would send cookies over HTTP.
RETIRED: dict[str, tuple[str, Kind]] = {
    "PATHFINDER_CONSOLE_SECURE_COOKIE": (SECURE_COOKIES.name, "web")}
SECRET_KEY_ENV = SECRET_KEY.name
RASA_TOKEN_ENV = RASA_TOKEN.name


# --- settings objects ------------------------------------------------------------------------

def setting(variable: Variable[Any], *, required: str | None = None,
            default: bool = False) -> Any:
    """A settings field read from ``variable``. ``required``: the error when it is unset.
    ``default``: the field also has the variable's default, for code that builds the object
    itself (the Telegram connector's tests). A secret variable's field is left out of the
    object's repr (logged, printed in a traceback)."""
    metadata = {"variable": variable, "required": required}
    if default:
        return field(default=variable.read({}), repr=not variable.secret, metadata=metadata)
    return field(repr=not variable.secret, metadata=metadata)


_S = TypeVar("_S", bound="DataclassInstance")


def read_settings(cls: type[_S], env: Mapping[str, str] | None = None) -> _S:
    """``cls`` with each field read from its variable in ``env`` (default: this process's
    environment). One SettingsError names every variable that is missing or unusable."""
    env = os.environ if env is None else env
    kind = getattr(cls, "KIND", None)
    problems = [f"{old} is no longer read: set {new} instead." for old, (new, refused_by)
                in RETIRED.items() if refused_by == kind and env.get(old, "").strip()]
    values: dict[str, Any] = {}
    for item in fields(cls):
        try:
            values[item.name] = item.metadata["variable"].read(env)
        except SettingsError as exc:
            problems.append(str(exc))
            continue
        if values[item.name] is None and item.metadata["required"]:
            problems.append(item.metadata["required"])
    if problems:
        raise SettingsError("\n".join(problems))
    return cls(**values)


def variables_of(cls: type[DataclassInstance]) -> tuple[Variable[Any], ...]:
    """The variables a settings class reads, in field order."""
    return tuple(item.metadata["variable"] for item in fields(cls))


@lru_cache(maxsize=16)
def _names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    kind = getattr(cls, "KIND", None)
    return (*(variable.name for variable in variables_of(cls)),
            *(old for old, (_, refused_by) in RETIRED.items() if refused_by == kind))


@lru_cache(maxsize=64)
def _parsed(cls: type[DataclassInstance], values: tuple[str | None, ...]) -> Any:
    return read_settings(cls, {name: value for name, value in zip(_names(cls), values, strict=True)
                               if value is not None})


def current(cls: type[_S]) -> _S:
    """This process's ``cls``, as its start-up checked it. Parsed again only when one of its
    variables has changed (a test's monkeypatch.setenv): one environment lookup per variable,
    so request handlers may call it."""
    return cast(_S, _parsed(cls, tuple(map(os.environ.get, _names(cls)))))


_RASA_TOKEN_UNSET = (f"{RASA_TOKEN.name} is not set: the engine answers this relay's "
                     "conversations and its tracker API only with its token. Export the value "
                     "the engine was started with.")


_P = TypeVar("_P", bound="ProcessSettings")


@dataclass(frozen=True)
class ProcessSettings:
    """What every kind of process's settings class is: a frozen dataclass of :func:`setting`
    fields, with ``KIND``, the kind of process that reads it (the variables it refuses, such
    as RETIRED's, depend on it)."""

    KIND: ClassVar[Kind]

    @classmethod
    def from_env(cls: type[_P], env: Mapping[str, str] | None = None) -> _P:
        """The settings in ``env`` (default: this process's environment), checked:
        :func:`read_settings`."""
        return read_settings(cls, env)


@dataclass(frozen=True)
class WebSettings(ProcessSettings):
    """The web app's (bot/api, with the staff console, bot/console): create_app checks them."""

    KIND: ClassVar[Kind] = "web"
    database_url: str = setting(DATABASE_URL)
    rasa_url: str = setting(RASA_URL)
    rasa_token: str = setting(RASA_TOKEN, required=_RASA_TOKEN_UNSET)
    secret_key: bytes | None = setting(SECRET_KEY)
    max_body_bytes: int = setting(MAX_BODY_BYTES)
    import_token: str | None = setting(IMPORT_TOKEN)
    inquiry_rate: Rate = setting(INQUIRY_RATE)
    login_failure_rate: Rate = setting(LOGIN_FAILURE_RATE)
    trusted_proxies: tuple[Network, ...] = setting(TRUSTED_PROXIES)
    # Unset: the rate limits are counted in each process (bot/api/rate_limit.py); set: in
    # Redis, shared by every replica (bot/api/shared_limits.py).
    redis_url: str | None = setting(REDIS_URL)
    tracker_db_url: str = setting(TRACKER_DB_URL)
    # Turns below it are "low confidence" (config.yml's FallbackClassifier already turns
    # those below 0.45 into nlu_fallback).
    low_confidence: float = setting(LOW_CONFIDENCE)
    secure_cookies: bool = setting(SECURE_COOKIES)


@dataclass(frozen=True)
class ActionsSettings(ProcessSettings):
    """The actions server's (actions/): actions/server.py checks them."""

    KIND: ClassVar[Kind] = "actions"
    database_url: str = setting(DATABASE_URL)


@dataclass(frozen=True)
class EngineSettings(ProcessSettings):
    """Our code's inside the Rasa engine (bot/engine/, Python 3.10): bot/engine/serve.py
    checks them before Rasa starts."""

    KIND: ClassVar[Kind] = "engine"
    rasa_token: str = setting(RASA_TOKEN, required=(
        f"{RASA_TOKEN.name} is not set: it is the secret that protects Rasa's HTTP API "
        f"(at least {MIN_SECRET_CHARS} printable ASCII characters; pathfinder run makes one)."))
    turn_timeout_s: float = setting(TURN_TIMEOUT_S)


@dataclass(frozen=True)
class CliSettings(ProcessSettings):
    """The ``pathfinder`` command's, ``pathfinder run`` and its process manager (bot/stack.py)
    included: bot/cli.py checks them before any command runs."""

    KIND: ClassVar[Kind] = "cli"
    database_url: str = setting(DATABASE_URL)
    data_dir: Path = setting(DATA_DIR)
    tracker_db_url: str = setting(TRACKER_DB_URL)
    retention_days: int | None = setting(RETENTION_DAYS)
    rasa_token: str | None = setting(RASA_TOKEN)      # unset: pathfinder run makes one
    secret_key: bytes | None = setting(SECRET_KEY)    # unset: var/secret.key
    max_body_bytes: int = setting(MAX_BODY_BYTES)     # passed on to the engine (Sanic's limit)
    event_broker_url: str | None = setting(EVENT_BROKER_URL)  # events consume --broker
    replicas: int = setting(REPLICAS)                  # run --replicas' default
    redis_url: str | None = setting(REDIS_URL)        # run --replicas: Rasa's lock store


def web_settings() -> WebSettings:
    return current(WebSettings)


def actions_settings() -> ActionsSettings:
    return current(ActionsSettings)


def engine_settings() -> EngineSettings:
    return current(EngineSettings)


def cli_settings() -> CliSettings:
    return current(CliSettings)


# --- for code that several kinds of process share --------------------------------------------

def data_dir() -> Path:
    return DATA_DIR.read()


def database_url() -> str:
    """The knowledge base: PATHFINDER_DATABASE_URL, else SQLite under var/."""
    return DATABASE_URL.read()

