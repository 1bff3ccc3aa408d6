"""The knowledge base schema (SQLAlchemy 2 ORM). Alembic migrations under knowledge/migrations
create it; the tables mirror the open-data sources and the program catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Money = Numeric(10, 2)
MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a path: no e-mail address is longer


def utc_naive(at: dt.datetime | None = None) -> dt.datetime:
    """``at`` (default: now) as every DateTime column here stores time: UTC without tzinfo
    (SQLite keeps no time zone). A naive ``at`` is taken to be UTC already."""
    moment = at or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


class Base(DeclarativeBase):
    pass


class Dataset(Base):
    """One loaded source: what it is, where it came from, its licence and reference period.
    Every figure the assistant shows names its dataset, so this is where 'source and year' live."""

    __tablename__ = "datasets"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(200))
    reference_period: Mapped[str] = mapped_column(String(40))
    licence: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Occupation(Base):
    """A NOC 2021 V1.0 unit group."""

    __tablename__ = "occupations"

    noc: Mapped[str] = mapped_column(String(5), primary_key=True)
    title_en: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    definition_en: Mapped[str] = mapped_column(Text)
    definition_fr: Mapped[str] = mapped_column(Text)
    teer: Mapped[int] = mapped_column(Integer)

    example_titles: Mapped[list[ExampleTitle]] = relationship(back_populates="occupation")


class ExampleTitle(Base):
    """A job title from the NOC index: the resolver's vocabulary."""

    __tablename__ = "example_titles"
    __table_args__ = (Index("ix_example_titles_noc", "noc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"))
    lang: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(400))

    occupation: Mapped[Occupation] = relationship(back_populates="example_titles")


class ExclusionTitle(Base):
    """A title NOC's exclusions place in this unit group ("Medical administrative assistants
    (See 13112)", listed under the receptionists): the resolver's vocabulary too, apart from
    the example titles (a profile does not list it as one of NOC's examples)."""

    __tablename__ = "exclusion_titles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(400))


class Region(Base):
    """A Job Bank economic region (ER35xx in Ontario), the province (ER35) or Canada (ER00)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    province: Mapped[str] = mapped_column(String(60))


class Wage(Base):
    """Hourly wages for one occupation, region and Job Bank release year."""

    __tablename__ = "wages"
    __table_args__ = (UniqueConstraint("noc", "region_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    year: Mapped[int] = mapped_column(Integer)
    low: Mapped[Decimal | None] = mapped_column(Money)
    median: Mapped[Decimal | None] = mapped_column(Money)
    high: Mapped[Decimal | None] = mapped_column(Money)
    dataset_key: Mapped[str] = mapped_column(ForeignKey("datasets.key"))

    region: Mapped[Region] = relationship()


class Outlook(Base):
    """COPS ten-year projection for one occupation (national only: no regional file exists)."""

    __tablename__ = "outlooks"
    __table_args__ = (UniqueConstraint("noc", "region_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    period: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str] = mapped_column(String(30))  # see knowledge.outlook_ratings
    label_en: Mapped[str] = mapped_column(String(80))
    label_fr: Mapped[str] = mapped_column(String(80))
    recent_label_en: Mapped[str | None] = mapped_column(String(80))
    recent_label_fr: Mapped[str | None] = mapped_column(String(80))
    employment: Mapped[int | None] = mapped_column(Integer)
    job_openings: Mapped[int | None] = mapped_column(Integer)
    job_seekers: Mapped[int | None] = mapped_column(Integer)
    dataset_key: Mapped[str] = mapped_column(ForeignKey("datasets.key"))


class Skill(Base):
    """A skill: an OaSIS descriptor (skills or knowledge), or a teachable topic of the catalog."""

    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # oasis_skill | oasis_knowledge | topic
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str | None] = mapped_column(String(200))
    synonyms_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    synonyms_fr: Mapped[list[str]] = mapped_column(JSON, default=list)
    # For a topic: the OaSIS descriptor it builds, so programs can be ranked against the
    # skill levels an occupation needs.
    oasis_code: Mapped[str | None] = mapped_column(ForeignKey("skills.code"))


class OccupationSkill(Base):
    """How much an occupation needs a skill (OaSIS proficiency 1-5; highest over its profiles)."""

    __tablename__ = "occupation_skills"

    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(ForeignKey("skills.code"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)

    skill: Mapped[Skill] = relationship()


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    website: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    is_francophone: Mapped[bool] = mapped_column(Boolean, default=False)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class Program(Base):
    """A short program (micro-credential) in the catalog."""

    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    sector: Mapped[str] = mapped_column(String(40), default="")
    title_en: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(Text)
    description_fr: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    cost: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    hours: Mapped[float] = mapped_column(Float)
    weeks: Mapped[int] = mapped_column(Integer)
    delivery: Mapped[str] = mapped_column(String(20))  # online | in_person | hybrid
    schedule: Mapped[list[str]] = mapped_column(JSON)  # daytime, evenings, weekends, self_paced
    language: Mapped[str] = mapped_column(String(10))  # en | fr | bilingual
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    osap_eligible: Mapped[bool] = mapped_column(Boolean)
    start_dates: Mapped[list[str]] = mapped_column(JSON)  # ISO dates
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)

    institution: Mapped[Institution] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary="program_skills")
    occupations: Mapped[list[Occupation]] = relationship(secondary="program_occupations")


class ProgramSkill(Base):
    __tablename__ = "program_skills"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(ForeignKey("skills.code"), primary_key=True)


class ProgramOccupation(Base):
    __tablename__ = "program_occupations"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    noc: Mapped[str] = mapped_column(ForeignKey("occupations.noc"), primary_key=True)



class Referral(Base):
    """A learner following a program link (the widget's or Telegram's) to the institution:
    the referral metric a portal is judged by. ``program_id`` is not a foreign key on purpose:
    reloading the catalog replaces the programs, and the clicks must outlive that."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_program_id", "program_id"),
                      Index("ix_referrals_clicked_at", "clicked_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(120))
    # The conversation's pseudonym (knowledge.referrals.conversation_ref), never its id.
    conversation: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(20))  # web | telegram
    clicked_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


class Inquiry(Base):
    """A question someone sent to a program's institution ("ask the institution"): stored for
    the institution and counted in analytics. Like ``Referral``, ``program_id`` is not a foreign
    key: reloading the catalog replaces the programs and the inquiries must outlive that."""

    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_created_at", "created_at"),
                      Index("ix_inquiries_institution_id", "institution_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(120))
    institution_id: Mapped[str] = mapped_column(String(60))  # the program's, when sent
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_CHARS))
    question: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # form | api
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


class TagSuggestion(Base):
    """A skill or occupation tag suggested for a program (by the tagger, or listed by the
    institution in an import). Only an accepted one counts: accepting writes the
    ProgramSkill / ProgramOccupation row. Not a foreign key to programs, for the same reason
    as ``Inquiry``."""

    __tablename__ = "tag_suggestions"
    __table_args__ = (UniqueConstraint("program_id", "kind", "code"),
                      Index("ix_tag_suggestions_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))  # skill | occupation
    code: Mapped[str] = mapped_column(String(80))  # skills.code or a NOC 2021 unit group
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(12))  # spacy | institution
    evidence: Mapped[str] = mapped_column(String(300), default="")  # the words that matched
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|accepted|rejected
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class StaffAccount(Base):
    """A staff member of the console (bot/console). The password is stored as a salted
    scrypt hash (bot/console/passwords.py). Failed logins never lock an account (anyone who
    knows a staff e-mail could lock it): they make one client address wait for that account,
    in memory (bot/api/rate_limit.py, FailureBackoff)."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_CHARS), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StaffSession(Base):
    """A logged-in console session. The cookie holds a random token; only its SHA-256 is
    stored, so a leaked database does not log anyone in. Each session has its CSRF token."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"),
                                          index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class TurnAnnotation(Base):
    """A staff flag and/or note on one turn of a conversation: the user message's row in
    Rasa's tracker store (``events.id``), which lives in another database, so no foreign key."""

    __tablename__ = "turn_annotations"
    __table_args__ = (UniqueConstraint("sender_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)  # Rasa's conversation id
    event_id: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ConversationSummary(Base):
    """One conversation of Rasa's tracker store (one sender id), summarised by the events
    consumer (bot/events/) so that the console's list, filters and search read one indexed row
    instead of replaying its events. Every text here is redacted (bot/engine/redaction.py):
    the first message, the search text, the occupations and skills asked about.

    ``last_event_id``: the newest tracker event applied (re-reading an event is a no-op);
    ``state``: what the summariser needs to go on from here (the recommendations by week,
    the turn's time, the analytics contribution this row made), never shown."""

    __tablename__ = "conversation_summaries"
    __table_args__ = (Index("ix_conversation_summaries_last_ts", "last_ts"),
                      Index("ix_conversation_summaries_channel_last_ts", "channel", "last_ts"),
                      Index("ix_conversation_summaries_language_last_ts", "language",
                            "last_ts"),
                      Index("ix_conversation_summaries_first_ts", "first_ts"),
                      Index("ix_conversation_summaries_ref", "ref"))

    sender_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # web | telegram | rest
    language: Mapped[str] = mapped_column(String(64))  # the `language` slot, as set (cut)
    # Rasa's event timestamps (seconds since the epoch, UTC) of the first and last event.
    first_ts: Mapped[float] = mapped_column(Float)
    last_ts: Mapped[float] = mapped_column(Float)
    user_turns: Mapped[int] = mapped_column(Integer, default=0)
    recommendations: Mapped[int] = mapped_column(Integer, default=0)
    # The lowest intent confidence of a user turn (-1 for nlu_fallback), and each turn's, so
    # that the low-confidence filter and count follow the console's threshold setting.
    min_confidence: Mapped[float | None] = mapped_column(Float)
    confidences: Mapped[list[float]] = mapped_column(JSON, default=list)
    first_message: Mapped[str] = mapped_column(Text, default="")
    # The user and bot texts, redacted and case-folded, each distinct one once ("\n"-joined).
    search_text: Mapped[str] = mapped_column(Text, default="")
    occupations: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    helpful_yes: Mapped[int] = mapped_column(Integer, default=0)
    helpful_no: Mapped[int] = mapped_column(Integer, default=0)
    # The conversation's pseudonym in program links (knowledge.referrals.conversation_ref),
    # to give a click its conversation's language; None without a key.
    ref: Mapped[str | None] = mapped_column(String(32))
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ConversationCount(Base):
    """The analytics' counts, kept by the events consumer beside the summaries: how many of a
    ``metric`` (conversations, recommendations, helpful_yes, helpful_no; occupation and skill
    for the rankings, with ``value``) in ``week`` (the Monday of an ISO week), of the
    conversations whose last activity is in ``active_week``, by channel and language. The
    console sums the rows of the conversations active in its period."""

    __tablename__ = "conversation_counts"
    __table_args__ = (Index("ix_conversation_counts_metric_active_week", "metric",
                            "active_week"),)

    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    active_week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class EventFeedPosition(Base):
    """How far the events consumer has read a feed: for ``tracker`` (Rasa's tracker store
    tailed), the id of the last event applied."""

    __tablename__ = "event_feed_positions"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
