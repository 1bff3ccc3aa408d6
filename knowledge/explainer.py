"""Plain-language text about wages, outlooks and programs for newcomers, in English or French.

This module is where every sentence built from data is worded (wages, outlooks, programs and
their "why", the sentences that open a list, what the learner asked for, an institution's
contact note); fixed replies are domain.yml's responses ("Where words live" in the README).
Every number in the text comes from the arguments (a wage, a period, a cost, a source's year);
nothing is computed into a new figure or invented. Answers are short: a wage or an outlook is a
few short sentences with its source (named in the reply's language: ``source_name``) and year,
a program one line. English aims at grade 8 or lower (Flesch-Kincaid), French at a Flesch
reading ease of 60 or more; ``readability_ok`` checks both with textstat 0.7.3 (the tests
measure a reply as ``measured_text`` gives it: links left out, a name from the data one word).
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from knowledge.constraints import NONE_STATED, Constraints, format_money, format_number
from knowledge.language import Lang, as_lang
from knowledge.occupations import CANADA, ONTARIO, OutlookSummary, WageRange
from knowledge.vocabulary import REGIONS, is_code, label, phrase

if TYPE_CHECKING:  # the recommender imports this module (a program's "why")
    from knowledge.recommender import ProgramMatch, Recommendations

MAX_EN_GRADE = 8.0
MIN_FR_EASE = 60.0


# --- wording helpers -------------------------------------------------------------------------

def _money(value: Decimal | float, lang: Lang) -> str:
    """Wages keep their cents: $22.00 / 22,00 $."""
    return format_money(float(value), lang, keep_cents=True)


def _in_region(code: str, name: str, lang: Lang) -> str:
    """"in Ontario" / "en Ontario", "in the Toronto region" / "dans la région de Toronto"."""
    if code == ONTARIO:
        return "en Ontario" if lang == "fr" else "in Ontario"
    if code == CANADA:
        return "au Canada" if lang == "fr" else "in Canada"
    if is_code("region", code):
        return phrase("region", code, as_lang(lang))
    return f"dans la région : {name}" if lang == "fr" else f"in {name}"


def _period(period: str, lang: Lang) -> str:
    years = re.findall(r"\d{4}", period)
    if len(years) == 2:
        return f"de {years[0]} à {years[1]}" if lang == "fr" else f"from {years[0]} to {years[1]}"
    return f"pour {period}" if lang == "fr" else f"for {period}"


def _title(title: str, lang: Lang) -> str:
    # NOC writes gender pairs as "aides-infirmiers/aides-infirmières"; spaced slashes read as
    # two words, which is how people (and readability formulas) read them.
    title = re.sub(r"\s*/\s*", " / ", " ".join(str(title or "").split())[:200])
    return f"« {title} »" if lang == "fr" else title


# --- what the learner asked for ----------------------------------------------------------

def _either(words: Iterable[str], lang: Lang) -> str:
    items = list(words)
    joiner = " ou " if lang == "fr" else " or "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + joiner + items[-1]


def describe_constraints(c: Constraints, lang: Lang) -> list[str]:
    """One short plain phrase per set field, in declaration order, e.g. ["$800 or less",
    "online", "taught in French"]."""
    fr = lang == "fr"
    key: Lang = "fr" if fr else "en"
    out: list[str] = []
    if c.max_cost is not None:
        if c.max_cost == 0:
            out.append("gratuit" if fr else "free")
        else:
            money = format_money(c.max_cost, key)
            out.append(f"{money} ou moins" if fr else f"{money} or less")
    if c.max_weeks is not None:
        n = format_number(c.max_weeks, key)
        plural = c.max_weeks != 1
        out.append(f"{n} semaine{'s' if plural else ''} ou moins" if fr
                   else f"{n} week{'s' if plural else ''} or less")
    if c.max_hours is not None:
        n = format_number(c.max_hours, key)
        plural = c.max_hours != 1
        out.append(f"{n} heure{'s' if plural else ''} ou moins" if fr
                   else f"{n} hour{'s' if plural else ''} or less")
    if c.delivery:
        out.append(_either((phrase("delivery", d, key) for d in c.delivery), key))
    if c.schedule:
        out.append(_either((phrase("schedule", s, key) for s in c.schedule), key))
    if c.language:  # "en français" / "taught in French"
        taught = phrase("language", c.language, key)
        out.append(taught if fr else f"taught {taught}")
    if c.region:
        out.append(phrase("region", c.region, key))
    if c.financial_aid:
        out.append("admissible au RAFEO" if fr else "OSAP-eligible")
    return out


# --- sources --------------------------------------------------------------------------------

# The knowledge base names its datasets in English ("Employment and Social Development Canada
# (Job Bank), Job Bank wages (hourly), 2016/2020/2024 releases mapped to NOC 2021"); a reply
# names the sources it knows by their own short name in each language. Matched as whole words.
_SOURCE_NAMES: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
    (("Job Bank", "Guichet-Emplois"), {"en": "Job Bank", "fr": "Guichet-Emplois"}),
    (("Canadian Occupational Projection System", "COPS",
      "Système de projection des professions au Canada", "SPPC"),
     {"en": "Canadian Occupational Projection System (COPS)",
      "fr": "Système de projection des professions au Canada (SPPC)"}),
)
_PUBLISHER_NAMES: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
    (("Employment and Social Development Canada", "ESDC",
      "Emploi et Développement social Canada", "EDSC"), {"en": "ESDC", "fr": "EDSC"}),
)


def _mentions(text: str, words: Sequence[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in words)


def source_name(source: str, lang: Lang) -> str:
    """A data source as a reply names it in ``lang``: "Job Bank, ESDC" / "Guichet-Emplois,
    EDSC", "Canadian Occupational Projection System (COPS), ESDC" / "Système de projection des
    professions au Canada (SPPC), EDSC". A source this table does not know is named as given;
    a name it gave is given back (so a payload's source can be named again)."""
    key = "fr" if lang == "fr" else "en"
    names = [words[key] for keys, words in _SOURCE_NAMES if _mentions(source, keys)]
    if not names:
        return " ".join(str(source or "").split())
    publishers = [words[key] for keys, words in _PUBLISHER_NAMES if _mentions(source, keys)]
    return ", ".join(names[:1] + publishers[:1])


# --- wages -----------------------------------------------------------------------------------
# Wages and outlooks are said in a few short sentences: what, where, the figures, the source.
# The same words whether the figures come from the knowledge base (the text channels' reply)
# or from a recommendations payload (Telegram, which shows the payload): ``_wage_text`` and
# ``_outlook_text`` take what both have.

def _wage_text(lang: Lang, title: str, *, low: float | Decimal | None,
               median: float | Decimal | None, high: float | Decimal | None, unit: str,
               where: str, year: int | str, source: str, fallback: str | None = None) -> str:
    fr = lang == "fr"
    key: Lang = "fr" if fr else "en"
    unit_en = {"hour": "an hour", "year": "a year"}.get(unit, f"per {unit}")
    unit_fr = {"hour": "de l'heure", "year": "par année"}.get(unit, f"par {unit}")
    parts = [f"Métier : {_title(title, 'fr')}. Voici le salaire." if fr else
             f"This is the pay for this job: {_title(title, 'en')}."]
    if median is not None:
        money = _money(median, key)
        place = where[0].upper() + where[1:]
        parts.append(f"{place}, la moitié gagne plus de {money} {unit_fr}." if fr else
                     f"{place}, half earn more than {money} {unit_en}.")
    if low is not None and high is not None:
        low_text, high_text = _money(low, key), _money(high, key)
        if low_text == high_text:  # the 10th and the 90th percentile are one figure
            parts.append(f"La plupart gagnent {low_text}." if fr else f"Most earn {low_text}.")
        else:
            parts.append(f"La plupart gagnent entre {low_text} et {high_text}." if fr else
                         f"Most earn between {low_text} and {high_text}.")
    if fallback:
        parts.append(fallback)
    parts.append(f"Source : {source_name(source, key)}, {year}." if fr else
                 f"Source: {source_name(source, key)}, {year}.")
    return " ".join(parts)


def explain_wage(wage: WageRange, occupation_title: str, lang: Lang) -> str:
    """E.g. "This is the pay for this job: Cooks. In Ontario, half earn more than $17.50 an
    hour. Most earn between $16.55 and $22.00. Source: Job Bank, ESDC, 2024."
    (Job Bank's low and high wages are its 10th and 90th percentiles: "most" earn between.)
    When the region asked for has no figure, says which region's figures these are."""
    key: Lang = "fr" if lang == "fr" else "en"
    fallback = None
    if wage.is_fallback:
        asked = _region_label(wage.requested_region, key)
        shown = _region_label(wage.region_code, key) or wage.region_name
        if key == "fr":
            fallback = (f"Il n'y a pas de chiffre pour {asked}. Ces chiffres sont pour "
                        f"{shown}." if asked else f"Ces chiffres sont pour {shown}.")
        else:
            fallback = (f"There is no figure for {asked}, so these are for {shown}."
                        if asked else f"These figures are for {shown}.")
    return _wage_text(key, occupation_title, low=wage.low, median=wage.median, high=wage.high,
                      unit=wage.unit, where=_in_region(wage.region_code, wage.region_name, key),
                      year=wage.year, source=wage.source, fallback=fallback)


def explain_wage_data(data: Mapping[str, Any], occupation_title: str, lang: Lang) -> str:
    """The same sentences for a recommendations payload's ``wage`` (knowledge.payload)."""
    key: Lang = "fr" if lang == "fr" else "en"
    return _wage_text(key, occupation_title, low=_figure(data.get("low")),
                      median=_figure(data.get("median")), high=_figure(data.get("high")),
                      unit=str(data.get("unit") or "hour"),
                      where=_in_named_region(str(data.get("region") or ""), key),
                      year=str(data.get("year") or ""), source=str(data.get("source") or ""))


def explain_current_wage(wage: WageRange | None, occupation_title: str, lang: Lang) -> str:
    """For someone changing careers, one sentence to compare with: what half of the workers
    of their current job earn (the median), with its source and year."""
    if wage is None or wage.median is None:
        return explain_no_wage(occupation_title, lang)
    key: Lang = "fr" if lang == "fr" else "en"
    where = _in_region(wage.region_code, wage.region_name, key)
    money = _money(wage.median, key)
    if key == "fr":
        unit = {"hour": "de l'heure", "year": "par année"}.get(wage.unit, f"par {wage.unit}")
        return (f"Pour comparer, votre métier actuel : {_title(occupation_title, 'fr')}. "
                f"{where[0].upper() + where[1:]}, la moitié gagne plus de {money} {unit}. "
                f"Source : {source_name(wage.source, key)}, {wage.year}.")
    unit = {"hour": "an hour", "year": "a year"}.get(wage.unit, f"per {wage.unit}")
    return (f"To compare, your job now: {_title(occupation_title, 'en')}. "
            f"{where[0].upper() + where[1:]}, half earn more than {money} {unit}. "
            f"Source: {source_name(wage.source, key)}, {wage.year}.")


def _figure(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _in_named_region(name: str, lang: Lang) -> str:
    """"in Ontario" for a region's display name as a payload gives it (knowledge.payload)."""
    for code, shown in ((ONTARIO, "Ontario"), (CANADA, "Canada")):
        if name == shown:
            return _in_region(code, name, lang)
    for code in REGIONS:
        if name == label("region", code, lang):
            return phrase("region", code, lang)
    return _in_region("", name, lang)


def _region_label(code: str, lang: Lang) -> str:
    if code == ONTARIO:
        return "l'Ontario" if lang == "fr" else "Ontario"
    if code == CANADA:
        return "le Canada" if lang == "fr" else "Canada"
    if not is_code("region", code):
        return ""
    name = label("region", code, as_lang(lang))
    return f"la région de {name}" if lang == "fr" else f"the {name} region"


# --- outlooks --------------------------------------------------------------------------------

# What a rating means, in one sentence (COPS compares the job openings it expects with the
# job seekers it expects over the period).
_OUTLOOK_MEANING = {
    "en": {
        "shortage_strong": "There may be more jobs than workers.",
        "shortage_moderate": "There may be a few more jobs than workers.",
        "balance": "There should be about as many jobs as workers.",
        "surplus_moderate": "There may be a few more workers than jobs.",
        "surplus_strong": "There may be many more workers than jobs.",
    },
    "fr": {
        "shortage_strong": "Il pourrait y avoir plus d'emplois que de travailleurs.",
        "shortage_moderate": "Il pourrait y avoir un peu plus d'emplois que de travailleurs.",
        "balance": "Il devrait y avoir à peu près autant d'emplois que de travailleurs.",
        "surplus_moderate": "Il pourrait y avoir un peu plus de travailleurs que d'emplois.",
        "surplus_strong": "Il pourrait y avoir beaucoup plus de travailleurs que d'emplois.",
    },
}


def _outlook_text(lang: Lang, title: str | None, *, rating: str, label: str, period: str,
                  where: str, source: str) -> str:
    fr = lang == "fr"
    key: Lang = "fr" if fr else "en"
    when = _period(period, key)
    if fr:
        what = f"Perspectives d'emploi pour {_title(title, 'fr')}" if title else \
            "Perspectives d'emploi"
        parts = [f"{what} {where}, {when} : « {label} »."]
    else:
        what = f"Job outlook for {_title(title, 'en')}" if title else "Job outlook"
        parts = [f"{what} {where}, {when}: \"{label}\"."]
    meaning = _OUTLOOK_MEANING[key].get(rating)
    if meaning:
        parts.append(meaning)
    parts.append(f"Source : {source_name(source, key)}." if fr else
                 f"Source: {source_name(source, key)}.")
    return " ".join(parts)


def explain_outlook(outlook: OutlookSummary, occupation_title: str | None, lang: Lang) -> str:
    """E.g. "Job outlook for Cooks in Canada, from 2024 to 2033: "Moderate risk of shortage".
    There may be a few more jobs than workers. Source: Canadian Occupational Projection
    System (COPS), ESDC.": the rating's label as COPS words it, then what it means. Without
    a title ("Job outlook in Canada, …") when the sentence before named the job."""
    key: Lang = "fr" if lang == "fr" else "en"
    return _outlook_text(key, occupation_title, rating=outlook.rating,
                         label=outlook.label_fr if key == "fr" else outlook.label_en,
                         period=outlook.period,
                         where=_in_region(outlook.region_code, outlook.region_name, key),
                         source=outlook.source)


def explain_outlook_data(data: Mapping[str, Any], occupation_title: str | None,
                         lang: Lang) -> str:
    """The same sentences for a recommendations payload's ``outlook`` (knowledge.payload)."""
    key: Lang = "fr" if lang == "fr" else "en"
    return _outlook_text(key, occupation_title, rating=str(data.get("rating") or ""),
                         label=str(data.get("label") or data.get("rating") or ""),
                         period=str(data.get("period") or ""),
                         where=_in_named_region(str(data.get("region") or ""), key),
                         source=str(data.get("source") or ""))


def explain_labour_market(wage: WageRange | None, outlook: OutlookSummary | None,
                          occupation_title: str, lang: Lang, *,
                          in_payload: bool = False) -> str | None:
    """What a list says of its job's wage and outlook, in one message: the wage (naming the
    job), then the outlook; or that there is no figure. ``in_payload``: the client shows the
    payload's wage and outlook (knowledge.payload), so only what it lacks is said (None when
    it lacks nothing)."""
    parts = []
    if wage is None:
        parts.append(explain_no_wage(occupation_title, lang))
    elif not in_payload:
        parts.append(explain_wage(wage, occupation_title, lang))
    if outlook is None:
        parts.append(explain_no_outlook(occupation_title, lang))
    elif not in_payload:
        parts.append(explain_outlook(outlook, None, lang))  # the first sentence named the job
    return "\n".join(parts) or None  # not a blank line: Rasa would cut the message there


# --- programs --------------------------------------------------------------------------------

def program_facts(lang: Lang, *, cost: float | None, hours: float | None,
                  weeks: float | None, delivery: str | None, language: str | None) -> list[str]:
    """A program's facts in plain words, in this order: cost, length, format, language
    ("$220", "16 hours over 6 weeks", "online", "in English"). Every channel shows these, so
    a program reads the same in the bot's text and in Telegram. A fact that is not known
    (None) is left out; a cost is in CAD, the catalog's only currency."""
    fr = lang == "fr"
    key: Lang = "fr" if fr else "en"
    facts: list[str] = []
    if cost is not None:
        facts.append(("gratuit" if fr else "free") if cost == 0 else format_money(cost, key))
    if hours is not None:
        count = format_number(hours, key)
        length = f"{count} h" if fr else f"{count} hours"
        if weeks is not None:
            span = format_number(weeks, key)
            plural = "s" if weeks != 1 else ""
            length += f" sur {span} semaine{plural}" if fr else f" over {span} week{plural}"
        facts.append(length)
    if delivery:
        facts.append(phrase("delivery", delivery, key))
    if language:
        facts.append(phrase("language", language, key))
    return facts


def explain_program(match: ProgramMatch, lang: Lang) -> str:
    """One short line of a list: title, school, cost, length, format, language, then the
    skill it teaches that the job needs most (the list's first sentence names the job; a
    card's ``why``, which stands alone, names it and a second skill)."""
    facts = program_facts(lang, cost=match.cost, hours=match.hours, weeks=match.weeks,
                          delivery=match.delivery, language=match.language)
    sep = " : " if lang == "fr" else ": "
    taught = explain_why(match.matched_skills[:1], None, lang) if match.matched_skills \
        else match.why
    line = f"{match.title} ({match.institution}){sep}{', '.join(facts)}. {taught}"
    return f"{line} {explain_breaks(match.breaks, lang)}" if match.breaks else line


def explain_program_aspects(match: ProgramMatch, aspects: Sequence[str], lang: Lang) -> str:
    """A listed program with only the facts asked about ("Bookkeeping (Humber): $405.")."""
    facts = program_facts(
        lang, cost=match.cost if "cost" in aspects else None,
        hours=match.hours if "length" in aspects else None,
        weeks=match.weeks if "length" in aspects else None,
        delivery=match.delivery if "format" in aspects else None,
        language=match.language if "language" in aspects else None)
    sep = " : " if lang == "fr" else ": "
    return f"{match.title} ({match.institution}){sep}{', '.join(facts)}."


def explain_cheapest_listed(match: ProgramMatch, lang: Lang) -> str:
    """The answer to "which one is the cheapest?" about the list shown."""
    line = explain_program_aspects(match, ("cost",), lang)
    return f"La moins chère de la liste : {line}" if lang == "fr" else \
        f"The lowest-cost one in the list: {line}"


def explain_breaks(fields: Sequence[str], lang: Lang) -> str:
    """What a closest program does not meet ("Outside your limits: the budget."), so a learner sees
    which of their limits each one breaks."""
    key: Lang = "fr" if lang == "fr" else "en"
    names = [_FIELD_PHRASE[key].get(name, name) for name in fields]
    joined = (" et " if key == "fr" else " and ").join(names)
    return f"Hors de vos limites : {joined}." if key == "fr" else f"Outside your limits: {joined}."


_FIELD_PHRASE = {
    "en": {"max_cost": "the budget", "max_weeks": "the length limit",
           "max_hours": "the hours limit", "delivery": "the format", "schedule": "the schedule",
           "language": "the language", "region": "the region",
           "financial_aid": "the OSAP condition"},
    "fr": {"max_cost": "le budget", "max_weeks": "la durée maximale",
           "max_hours": "le nombre d'heures", "delivery": "le format", "schedule": "l'horaire",
           "language": "la langue", "region": "la région",
           "financial_aid": "la condition du RAFEO"},
}


def explain_no_results(recs: Recommendations, constraints: Constraints, lang: Lang) -> str:
    fr = lang == "fr"
    key: Lang = "fr" if fr else "en"
    wanted = describe_constraints(constraints, key)
    parts: list[str] = []
    if wanted:
        listed = ("\u00a0; " if fr else "; ").join(wanted)
        parts.append(f"Aucun programme ne répond à tous vos choix ({listed})." if fr else
                     f"No program fits all your choices ({listed}).")
    else:
        parts.append("Nous n'avons pas encore de programme pour ce métier." if fr else
                     "We have no program for this job yet.")
    if recs.blocked_by:
        fields = [_FIELD_PHRASE[key].get(name, name) for name in recs.blocked_by]
        joined = (" et " if fr else " and ").join(fields)
        if recs.alternatives:
            several = len(fields) > 1
            if fr:
                limit = "ces limites" if several else "cette limite"
                parts.append(f"Le blocage vient de : {joined}. Voici les plus proches sans "
                             f"{limit}.")
            else:
                it = "them" if several else "it"
                parts.append(f"What stops it is {joined}. Here are the closest ones without "
                             f"{it}.")
        else:
            parts.append(f"Le blocage vient de : {joined}." if fr else
                         f"What stops it is {joined}.")
    elif wanted:
        parts.append("Même sans ces limites, nous n'avons rien pour ce métier." if fr else
                     "Even without these limits, we have nothing for this job.")
    if not recs.alternatives:
        parts.append("Essayez un métier proche, ou parcourez les programmes par secteur." if fr
                     else "Try a related job, or browse programs by sector.")
    return " ".join(parts)


def explain_no_wage(occupation_title: str, lang: Lang) -> str:
    """Said instead of a wage when the knowledge base has no figure: none is made up."""
    if lang == "fr":
        return f"Je n'ai pas de données sur les salaires pour ce métier : {occupation_title}."
    return f"I don't have wage data for this job: {occupation_title}."


def explain_no_outlook(occupation_title: str, lang: Lang) -> str:
    if lang == "fr":
        return f"Je n'ai pas de perspectives d'emploi pour ce métier : {occupation_title}."
    return f"I don't have job outlook data for this job: {occupation_title}."


# --- why a program, how to reach its institution ---------------------------------------------

_KEEP_CAPITAL = {"Python", "Ontario", "Canadian", "English", "French", "Indigenous", "Microsoft",
                 "Windows", "Excel", "Six", "Google", "Java", "Linux"}


def in_sentence(name: str) -> str:
    """A name as it reads inside a sentence: "Blueprint reading" -> "blueprint reading", but
    "WHMIS", "QuickBooks ..." and "Python programming" keep their capitals."""
    first = name.split(" ", 1)[0]
    if not first or first in _KEEP_CAPITAL or any(ch.isupper() for ch in first[1:]):
        return name
    return name[0].lower() + name[1:]


def join_words(items: Sequence[str], lang: Lang) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = " et " if lang == "fr" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


def explain_why(skills: Sequence[str], occupation: str | None, lang: Lang) -> str:
    """A program's "why" sentence: the skills it teaches (names in ``lang``, most needed
    first: the first two) that the occupation (its title in ``lang``) uses."""
    listed = join_words([in_sentence(s) for s in skills[:2]], lang)
    if lang == "fr":
        if not listed:
            return f"Il prépare au métier « {occupation} »." if occupation else \
                "Il fait partie du catalogue."
        if occupation:
            return f"Il enseigne : {listed}, des compétences utiles pour le métier " \
                f"« {occupation} »."
        return f"Il enseigne : {listed}."
    if not listed:
        return f"It prepares you to work as {in_sentence(occupation)}." if occupation else \
            "It is part of the catalog."
    if occupation:
        return f"It teaches {listed}, which {in_sentence(occupation)} use."
    return f"It teaches {listed}."


def explain_contact(has_email: bool, is_sample: bool, lang: Lang) -> str:
    """How to reach an institution, as the employer pages and the programs API say it."""
    if has_email:
        note = ("Écrivez à l'établissement ou passez par son site." if lang == "fr"
                else "Write to the institution or use its website.")
    else:
        note = ("Pas d'adresse courriel au catalogue : passez par le site de l'établissement."
                if lang == "fr" else
                "The catalog has no e-mail address: use the institution's website.")
    if is_sample:
        note += (" Catalogue d'EXEMPLE : le site est réel, le programme ne l'est pas."
                 if lang == "fr" else
                 " SAMPLE catalog: the website is real, the program is not.")
    return note


# --- the conversation's lists and what it understood -----------------------------------------
# A list of programs is one message: its first sentence (here) and one line per program.
# Sentences without data (questions, asking back, "nothing cheaper") are domain.yml's.

def explain_understood(constraints: Constraints, lang: Lang,
                       wishes: Constraints = NONE_STATED) -> str | None:
    """What the learner's refined limits and wishes now are ("Okay: $500 or less, online.",
    "D'accord, je note : 500 $ ou moins. Si possible : en personne."); None when none is
    left (domain.yml's utter_no_limits says so)."""
    described = describe_constraints(constraints, lang)
    wished = describe_wishes(wishes, lang)
    if not described and not wished:
        return None
    head = "D'accord, je note" if lang == "fr" else "Okay"
    said = f"{head} : " if lang == "fr" else f"{head}: "
    if not described:
        return f"{head}." + wished
    return said + ", ".join(described) + "." + wished


def describe_wishes(wishes: Constraints, lang: Lang, unmet: Sequence[str] = (),
                    count: int = 2) -> str:
    """The learner's wishes as a sentence to add (" If possible: in person."), then, when
    some wish no listed program meets (``unmet``; ``count`` programs listed), which one
    (" None of them is as you wish: in person."); "" when there is none."""
    described = describe_constraints(wishes, lang)
    if not described:
        return ""
    text = (" Si possible : " if lang == "fr" else " If possible: ") + ", ".join(described) + "."
    missed = describe_constraints(
        wishes.without(*(name for name in wishes.set_fields() if name not in unmet)), lang)
    if missed:
        if lang == "fr":
            head = " Celle-ci ne répond pas à ce souhait : " if count == 1 else \
                " Aucune ne répond à ce souhait : "
        else:
            head = " This one does not meet that wish: " if count == 1 else \
                " None of them meets that wish: "
        text += head + ", ".join(missed) + "."
    return text


def explain_programs_intro(count: int, target: str | None, current: str | None,
                           constraints: Constraints, lang: Lang,
                           wishes: Constraints = NONE_STATED,
                           unmet: Sequence[str] = (), topic: str | None = None) -> str:
    """The first sentence of a learner's list: how many programs, for which occupation (the
    one they want, else the field or skill they want to learn, ``topic``, else their job:
    titles in ``lang``), the limits they gave, and their wishes (with those that no program
    listed meets: ``unmet``)."""
    if lang == "fr":
        head = (f"Voici {count} courtes formations" if count > 1
                else "Voici une courte formation")
        if target:
            head += f" pour le métier que vous visez : {target}."
        elif topic:
            head += f" sur ce que vous voulez apprendre : {topic}."
        elif current:
            head += f" pour votre métier : {current}."
        else:
            head += " pour vous."
    else:
        head = f"Here are {count} short programs" if count > 1 else "Here is one short program"
        if target:
            head += f" for the job you want: {target}."
        elif topic:
            head += f" about what you want to learn: {topic}."
        elif current:
            head += f" for your job: {current}."
        else:
            head += " for you."
    described = describe_constraints(constraints, lang)
    if described:
        head += (" Vos critères : " if lang == "fr" else " What you asked for: ") + \
            ", ".join(described) + "."
    return head + describe_wishes(wishes, lang, unmet, count)


def explain_cheaper_intro(count: int, lang: Lang) -> str:
    many = count > 1
    if lang == "fr":
        return f"Voici {count} formation{'s' if many else ''} moins chère{'s' if many else ''} :"
    return f"Here {'are' if many else 'is'} {count} cheaper program{'s' if many else ''}:"


def explain_sector_intro(sector: str, lang: Lang) -> str:
    return f"Formations de ce secteur : {sector}." if lang == "fr" else \
        f"Programs in this sector: {sector}."


def explain_staff_intro(occupation: str, lang: Lang) -> str:
    """The first sentence of the programs for an employer's staff in one occupation."""
    return f"Formations pour ce métier : {occupation}." if lang == "fr" else \
        f"Programs for this job: {occupation}."


def explain_skills_intro(skill_names: Sequence[str], lang: Lang) -> str:
    """The first sentence of the programs that teach these skills (names in ``lang``)."""
    names = ", ".join(dict.fromkeys(skill_names))
    return f"Formations qui enseignent : {names}." if lang == "fr" else \
        f"Programs that teach {names}:"


def explain_closest_programs(constraints: Constraints, lang: Lang) -> str:
    """The first sentence of the closest programs when none fits an employer's limits."""
    limits = ", ".join(describe_constraints(constraints, lang))
    if lang == "fr":
        return f"Aucune de ces formations ne respecte vos critères ({limits}). Les plus proches :"
    return f"None of these programs fits what you asked for ({limits}). The closest ones:"


def explain_program_for_employers(match: ProgramMatch, lang: Lang) -> str:
    """One program as an employer wants it: what, who teaches it, cost and hours, the link."""
    facts = program_facts(lang, cost=match.cost, hours=match.hours, weeks=None,
                          delivery=None, language=None)
    sep = " : " if lang == "fr" else ": "
    line = f"{match.title} — {match.institution} ({', '.join(facts)}){sep}{match.url}"
    return f"{line} {explain_breaks(match.breaks, lang)}" if match.breaks else line


def explain_chosen_occupation(quoted: str, title: str, lang: Lang) -> str:
    """Said before a wage or an outlook when the job named could mean several: which one the
    answer is about (``quoted``: the learner's words, safe to show; ``title`` in ``lang``)."""
    if lang == "fr":
        return f"« {quoted} » peut vouloir dire plus d'un métier. J'ai choisi : {title}."
    return f"“{quoted}” can mean several jobs. I used: {title}."


# --- readability -----------------------------------------------------------------------------

_readers: dict[str, Any] = {}
_readers_lock = threading.Lock()


def _reader(lang: Lang) -> Any:
    """One textstat object per language: textstat's module-level object keeps the language as
    global state, so each language gets its own instance instead of switching it back and forth."""
    with _readers_lock:
        if lang not in _readers:
            with warnings.catch_warnings():  # textstat 0.7.3 imports the deprecated pkg_resources
                warnings.simplefilter("ignore", UserWarning)
                from textstat.textstat import textstatistics

            reader = textstatistics()
            reader.set_lang("fr_FR" if lang == "fr" else "en_US")
            _readers[lang] = reader
        return _readers[lang]


_URL = re.compile(r"https?://\S+")
NAME_WORD = {"en": "Name", "fr": "Nom"}


def measured_text(text: str, lang: Lang, names: Iterable[str] = ()) -> str:
    """A reply as its reading level is measured: links left out (a URL is not read as words,
    and its dots would end "sentences"), and each of ``names`` (a program's title, an
    institution's name, a NOC occupation title: names from the data, which no reply can
    reword) one short word, so the sentence around a name is measured in full and the name
    counts as one easy word. A name matches as written, but for the case of its first letter
    (``in_sentence`` lowers it) and the spaces around its slashes (``_title`` spaces them)."""
    text = _URL.sub("", text)
    ordered = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not ordered:
        return text
    alternatives = "|".join(f"(?i:{re.escape(n[0])})" + re.escape(n[1:]).replace("/", r"\s*/\s*")
                            for n in ordered)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return pattern.sub(NAME_WORD["fr" if lang == "fr" else "en"], text)


def readability(text: str, lang: Lang) -> float:
    """English: Flesch-Kincaid grade. French: Flesch reading ease (textstat's French
    constants: 207 - 1.015 x words per sentence - 73.6 x syllables per word, syllables as
    Pyphen's French dictionary hyphenates). The text as given: see ``measured_text``."""
    reader = _reader("fr" if lang == "fr" else "en")
    with _readers_lock:  # textstat caches per instance; keep calls serial to be safe
        if lang == "fr":
            return float(reader.flesch_reading_ease(text))
        return float(reader.flesch_kincaid_grade(text))


def readability_ok(text: str, lang: Lang) -> bool:
    """EN Flesch-Kincaid grade <= 8; FR Flesch reading ease >= 60 (textstat 0.7.3)."""
    if not text or not text.strip():
        return True
    score = readability(text, lang)
    return score >= MIN_FR_EASE if lang == "fr" else score <= MAX_EN_GRADE
