"""What a learner can accept in a program (budget, length, format, schedule, language, region,
financial aid) and what they want to do (goal), read from free text in English or French.

The values are the catalog's own vocabulary (``knowledge.vocabulary``) so the recommender can
filter on them directly: delivery ``online | in_person | hybrid``, schedule ``daytime | evenings |
weekends | self_paced``, language ``en | fr`` (a learner's, never ``bilingual``), region a Job Bank
economic region ``ER35xx``. The place names below are how learners name those regions (parsing).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from rapidfuzz import fuzz, process

from knowledge.language import Lang
from knowledge.vocabulary import (
    DELIVERY_MODES,
    LEARNER_LANGUAGES,
    REGIONS,
    SCHEDULES,
)

Goal = Literal["change_career", "upskill", "explore", "return_to_work"]
GOALS: tuple[str, ...] = get_args(Goal)

# Place names (folded: lowercase, no accents) -> economic region. Cities, towns and counties a
# learner is likely to name; ambiguous words (Grey, Bruce, Perth, Peel, Huron) are left out.
_PLACES: dict[str, tuple[str, ...]] = {
    "ER3510": ("ottawa", "orleans", "kanata", "nepean", "barrhaven", "gloucester", "cornwall",
               "hawkesbury", "rockland", "casselman", "embrun", "brockville", "prescott",
               "carleton place", "smiths falls", "arnprior", "alexandria", "vankleek hill",
               "prescott-russell", "prescott russell"),
    "ER3515": ("kingston", "pembroke", "belleville", "trenton", "quinte west", "napanee",
               "renfrew", "petawawa", "prince edward county", "picton"),
    "ER3520": ("peterborough", "lindsay", "kawartha", "kawarthas", "kawartha lakes", "cobourg",
               "port hope", "huntsville", "bracebridge", "muskoka", "haliburton", "gravenhurst"),
    "ER3530": ("toronto", "gta", "mississauga", "brampton", "markham", "vaughan", "richmond hill",
               "oakville", "oshawa", "whitby", "ajax", "pickering", "scarborough", "north york",
               "etobicoke", "newmarket", "aurora", "milton", "caledon", "clarington",
               "york region", "durham region", "halton"),
    "ER3540": ("kitchener", "waterloo", "cambridge", "guelph", "barrie", "orillia",
               "orangeville", "collingwood", "innisfil", "wellington county", "simcoe county"),
    "ER3550": ("hamilton", "burlington", "st catharines", "saint catharines", "niagara",
               "niagara falls", "chutes niagara", "welland", "brantford", "grimsby", "fort erie",
               "haldimand", "norfolk county", "stoney creek"),
    "ER3560": ("london", "st thomas", "woodstock", "ingersoll", "tillsonburg", "strathroy",
               "elgin county", "oxford county"),
    "ER3570": ("windsor", "sarnia", "chatham", "chatham-kent", "leamington", "tecumseh",
               "amherstburg", "kingsville", "lasalle", "essex county", "lambton county"),
    "ER3580": ("stratford", "owen sound", "goderich", "kincardine", "hanover", "st marys",
               "listowel", "bruce peninsula", "peninsule de bruce"),
    "ER3590": ("sudbury", "grand sudbury", "greater sudbury", "north bay", "sault ste marie",
               "sault sainte marie", "sault-sainte-marie", "sault", "timmins", "kapuskasing",
               "hearst", "sturgeon falls", "elliot lake", "kirkland lake", "cochrane",
               "new liskeard", "temiskaming", "parry sound", "espanola", "manitoulin",
               "northeastern ontario", "northeast ontario", "nord-est de l'ontario",
               "nord est de l'ontario", "nord-est ontarien"),
    "ER3595": ("thunder bay", "kenora", "dryden", "fort frances", "sioux lookout",
               "geraldton", "red lake", "northwestern ontario", "northwest ontario",
               "nord-ouest de l'ontario", "nord ouest de l'ontario", "nord-ouest ontarien"),
}
_PLACE_TO_REGION = {place: code for code, places in _PLACES.items() for place in places}
_PLACE_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(p) for p in
                             sorted(_PLACE_TO_REGION, key=len, reverse=True)) + r")(?![a-z])")


@dataclass(frozen=True)
class Constraints:
    max_cost: float | None = None        # CAD, total tuition
    max_weeks: float | None = None
    max_hours: float | None = None
    delivery: tuple[str, ...] = ()       # accepted catalog delivery values, e.g. ("online",)
    schedule: tuple[str, ...] = ()       # catalog schedule values, e.g. ("evenings",)
    language: Lang | None = None         # taught in "en" | "fr" (a bilingual program suits both)
    region: str | None = None            # Job Bank economic region code, e.g. "ER3530"
    financial_aid: bool | None = None    # True: must be OSAP-eligible

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, only the fields that are set (what goes into the Rasa slot)."""
        data: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            data[field.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Constraints:
        """Rebuild from a slot value; anything malformed is dropped, never raised."""
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            max_cost=_positive_number(data.get("max_cost"), allow_zero=True),
            max_weeks=_positive_number(data.get("max_weeks")),
            max_hours=_positive_number(data.get("max_hours")),
            delivery=_vocabulary(data.get("delivery"), DELIVERY_MODES),
            schedule=_vocabulary(data.get("schedule"), SCHEDULES),
            language=data.get("language") if data.get("language") in LEARNER_LANGUAGES else None,
            region=data.get("region") if data.get("region") in REGIONS else None,
            financial_aid=True if data.get("financial_aid") is True else None,
        )

    def is_empty(self) -> bool:
        return not self.to_dict()

    def without(self, *names: str) -> Constraints:
        """A copy with the named fields cleared (to find which constraint blocks results)."""
        cleared: dict[str, Any] = {
            name: () if name in ("delivery", "schedule") else None for name in names}
        return replace(self, **cleared)

    def set_fields(self) -> tuple[str, ...]:
        """Names of the fields that are set, in declaration order."""
        return tuple(self.to_dict())


def _positive_number(value: Any, allow_zero: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        return None
    return number


def _vocabulary(value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    chosen = {v for v in value if isinstance(v, str) and v in allowed}
    return tuple(v for v in allowed if v in chosen)


# --- text normalisation --------------------------------------------------------------------

def fold(text: str) -> str:
    """Lowercase, accents removed, typographic apostrophes and spaces made plain."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return text.lower()


# Distinctive words whose typos we repair before matching ("onlin", "evenigs", "carrer").
_VOCABULARY = (
    "online", "evening", "evenings", "weekend", "weekends", "hybrid", "hybride", "french",
    "english", "francais", "anglais", "dollars", "semaine", "semaines", "weeks", "months",
    "financial", "financiere", "toronto", "ottawa", "sudbury", "hamilton", "kingston",
    "windsor", "niagara", "waterloo", "kitchener", "mississauga", "brampton", "thunder",
    "peterborough", "budget", "career", "careers", "carriere", "promotion", "program",
    "programs", "programme", "programmes", "courses", "classes", "personne", "distance",
    "self-paced", "rythme", "soirees", "daytime", "anything", "whatever", "perfectionner",
    "reorienter", "hours", "heures", "switch", "change",
)
# Real words close to a vocabulary word that must stay as typed ("person" is not "personne").
_KEEP = frozenset(("person", "persons", "personal", "weekly", "hourly", "monthly", "classic",
                   "classe", "programming", "changes", "changed", "switches", "french's",
                   "onsite", "online's", "carrier", "carrière", "careful", "distant",
                   "weekday", "weekdays", "hamilton's", "courses", "course", "clauses"))
_TOKEN_RE = re.compile(r"[a-z][a-z'-]*")


def _repair_typos(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 5 or word in _VOCABULARY or word in _KEEP:
            return word
        best = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=83)
        if best is None or best[0][0] != word[0]:
            return word
        candidate = best[0]
        # "personal" is not a typo of "personne", nor "weekly" of "weeks": only repair words of
        # about the same length that are not a longer form of the candidate.
        if word.startswith(candidate) or candidate.startswith(word[:-1]) and len(word) > len(
                candidate):
            return word
        return candidate
    return _TOKEN_RE.sub(fix, text)


def _prepare(text: str) -> str:
    text = fold(text or "")[:2000]
    return " " + _repair_typos(text) + " "


# --- numbers -------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1, "a couple of": 2,
    "a few": 3, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quelques": 3,
}
_NUM = r"\d{1,3}(?:[ ,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_NUM_OR_WORD = (_NUM + "|" + "|".join(
    re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True)))


def _to_number(text: str) -> float | None:
    text = text.strip()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    text = re.sub(r"[ ,](?=\d{3}(?!\d))", "", text)  # thousands separators: 1,500 / 1 500
    text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_COST_PATTERNS = (
    # $800, $ 1,500, $1.5k
    re.compile(r"\$\s*(?P<n>" + _NUM + r")\s*(?P<k>k\b)?"),
    # 800$, 800 $, 800 dollars, 1 500 $ CAD, 1.5k$, 800 bucks
    re.compile(r"(?<![\d.])(?P<n>" + _NUM + r")\s*(?P<k>k)?\s*(?:\$|dollars?\b|bucks\b|cad\b|"
               r"piastres?\b|balles\b)"),
    # under 1k, budget 2k
    re.compile(r"(?<![\w.])(?P<n>\d+(?:[.,]\d+)?)\s*(?P<k>k)\b"),
)
_COST_CONTEXT = re.compile(
    r"(?:budget|max(?:imum)?|under|below|less than|no more than|not more than|at most|up to|"
    r"cheaper than|afford|spend|pay|moins de|maximum de|max de|pas plus de|au plus|"
    r"jusqu'a|payer|depenser|cout|prix|inferieur a)\s*(?:is|of|de|d'|:|around|about|environ)?"
    r"\s*(?P<n>" + _NUM + r")(?!\s*(?:[.,]?\d|%|h\b|hours?|hrs?|heures?|weeks?|wks?|semaines?|"
    r"sem\b|months?|mois|days?|jours?|years?|ans?\b|annees?|\$|dollars?|k\b))")
_FREE = re.compile(r"\b(?:free|no cost|gratuite?s?|sans frais|sans cout)\b")

_DURATION = re.compile(
    r"(?P<n>" + _NUM_OR_WORD + r")\s*-?\s*(?P<unit>weeks?|wks?|semaines?|sem\b|months?|mois\b|"
    r"hours?|hrs?\b|h\b|heures?|days?|jours?|years?|ans?\b|annees?)"
    r"(?P<per>\s*(?:a|per|each|par|by|/)\s*(?:week|semaine|sem\b|day|jour|month|mois))?")
_LONGER_THAN = re.compile(r"(?<!no )(?<!not )(?<!pas )(?<!ne )"
                          r"(?:more than|longer than|over|at least|plus de|au moins)\s*$")
# A duration that is about the learner's life, not the program: "out of work for 8 months",
# "10 years of experience", "twice a week", "classes at 18h", "I'm 45 years old".
_NOT_A_LIMIT_BEFORE = re.compile(
    r"(?:after|since|ago|been|worked|working|depuis|apres|il y a|pendant|once|twice|times|"
    r"fois|per|par|each|every|chaque|at|a|vers|before|avant|age|aged|j'ai|i'm|i am|"
    r"(?:out of work|unemployed|off work|not working|without work|sans emploi|au chomage)"
    r"(?: for| pendant| depuis)?|for the (?:past|last))\s*$")
_NOT_A_LIMIT_AFTER = re.compile(
    r"^\s*(?:\d|ago|off|old|of (?:experience|work|unemployment)|experience|d'experience|"
    r"de chomage|sans emploi|unemployed|out of work)")
_LIMIT_BEFORE = re.compile(
    r"(?:under|less than|within|max(?:imum)?|at most|up to|no more than|no longer than|"
    r"shorter than|moins de|au plus|maximum de|pas plus de|en moins de)\s*$")

_CLEAR_COST = re.compile(
    r"\b(?:any budget|any price|no (?:budget|price|cost) limit|no limit|price (?:doesn't|does not|"
    r"don't) matter|cost (?:doesn't|does not) matter|money is no (?:object|issue)|"
    r"peu importe (?:le|mon) (?:prix|cout|budget)|n'importe quel (?:prix|budget)|"
    r"pas de limite(?: de (?:prix|budget))?|sans limite(?: de budget)?|budget illimite|"
    r"le prix (?:n'a pas|importe peu))")
_CLEAR_DURATION = re.compile(
    r"\b(?:any length|any duration|no time limit|however long|length doesn't matter|"
    r"peu importe la duree|n'importe quelle duree|pas de limite de (?:temps|duree))")
_CLEAR_DELIVERY = re.compile(
    r"\b(?:any format|any delivery|online or in person|in person or online|either format|"
    r"peu importe le format|en ligne ou en personne|en personne ou en ligne|"
    r"n'importe quel format)")
_CLEAR_SCHEDULE = re.compile(
    r"\b(?:any time|anytime works|any schedule|peu importe l'horaire|n'importe quel horaire|"
    r"n'importe quand)")
_CLEAR_LANGUAGE = re.compile(
    r"\b(?:any language|either language|english or french|french or english|"
    r"peu importe la langue|anglais ou francais|francais ou anglais|n'importe quelle langue)")
_CLEAR_REGION = re.compile(
    r"\b(?:anywhere|any region|any city|n'importe ou|partout|peu importe (?:la region|"
    r"ou|l'endroit))")


def _parse_cost(text: str) -> float | None:
    found: list[tuple[int, float]] = []
    for pattern in _COST_PATTERNS:
        for match in pattern.finditer(text):
            value = _to_number(match.group("n"))
            if value is None:
                continue
            if match.group("k"):
                value *= 1000
            found.append((match.start(), value))
    for match in _COST_CONTEXT.finditer(text):
        value = _to_number(match.group("n"))
        if value is not None and value >= 50:  # "under 6" is not a budget
            found.append((match.start("n"), value))
    for match in _FREE.finditer(text):
        found.append((match.start(), 0.0))
    if not found:
        return None
    return round(max(found)[1], 2)  # the latest statement wins


def _parse_durations(text: str) -> tuple[float | None, float | None]:
    weeks: float | None = None
    hours: float | None = None
    for match in _DURATION.finditer(text):
        if match.group("per"):  # "10 hours a week" is a weekly load, not a length
            continue
        before, after = text[max(0, match.start() - 30):match.start()], text[match.end():]
        if _LONGER_THAN.search(before):
            continue  # "more than 6 weeks" is not an upper limit
        if _NOT_A_LIMIT_BEFORE.search(before) or _NOT_A_LIMIT_AFTER.search(after[:30]):
            continue
        unit = match.group("unit")
        if unit.startswith(("y", "an")) and not _LIMIT_BEFORE.search(before):
            continue  # "5 years" is someone's experience unless it is clearly a limit
        value = _to_number(match.group("n"))
        if value is None or value <= 0:
            continue
        if unit.startswith(("h", "hr")):
            hours = value
        elif unit.startswith(("w", "sem")):
            weeks = value
        elif unit.startswith(("mo",)):
            weeks = float(max(1, math.floor(value * 52 / 12 + 1e-9)))
        elif unit.startswith(("d", "j")):
            weeks = float(max(1, math.floor(value / 7)))
        elif unit.startswith(("y", "an")):
            weeks = value * 52
    return weeks, hours


# --- delivery, schedule, language, region, aid -------------------------------------------

_ONLINE = r"(?:online|on-line|on line|en ligne|virtual(?:ly)?|remote(?:ly)?|a distance|" \
          r"distance learning|from home|at home|de la maison|de chez moi|a la maison|zoom)"
_IN_PERSON = r"(?:in person|in-person|inperson|on campus|on-campus|on site|on-site|" \
             r"face to face|face-to-face|en personne|en presentiel|presentiel(?:le)?|sur place|" \
             r"sur le campus|classroom)"
_HYBRID = r"(?:hybrid|hybride|blended|mixte)"
_DELIVERY_NOT = re.compile(r"\b(?:not|no|pas|non|never|jamais)\s+(?:\w+\s+)?(?P<what>"
                           + _ONLINE + "|" + _IN_PERSON + ")")


def _parse_delivery(text: str) -> tuple[str, ...] | None:
    negated = {m.group("what") for m in _DELIVERY_NOT.finditer(text)}
    chosen: list[str] = []
    excluded: set[str] = set()
    for value, pattern in (("online", _ONLINE), ("in_person", _IN_PERSON),
                           ("hybrid", _HYBRID)):
        for match in re.finditer(r"(?<![a-z])" + pattern + r"(?![a-z])", text):
            if any(match.group(0) in n for n in negated):
                excluded.add(value)
            else:
                chosen.append(value)
    if chosen:
        return tuple(v for v in DELIVERY_MODES if v in chosen and v not in excluded)
    if excluded:
        return tuple(v for v in DELIVERY_MODES if v not in excluded)
    return None


_SCHEDULE_PATTERNS: tuple[tuple[tuple[str, ...], str], ...] = (
    # the learner's own working hours first: "I work days" means classes outside the day
    (("evenings", "weekends", "self_paced"),
     r"(?:i work|i'm working|working|je travaille|travaille) (?:during the |in the |de |le )?"
     r"(?:days?|daytime|jour|journee)|day job|9 to 5|9-5|full[- ]time job|emploi a temps plein"),
    (("daytime", "weekends", "self_paced"),
     r"(?:i work|i'm working|working|je travaille|travaille) (?:the |de |du |le )?"
     r"(?:nights?|evenings?|soirs?|nuit)|night shifts?|evening shifts?|"
     r"quarts? (?:de|du) (?:nuit|soir)"),
    (("evenings", "weekends", "self_paced"), r"part[- ]time|temps partiel"),
    (("self_paced",), r"self[- ]?paced|own pace|my pace|asynchronous|asynchrone|"
                      r"a mon (?:propre )?rythme|a son rythme|any ?time of day|flexible hours|"
                      r"horaire flexible"),
    # "cours du soir" is what French calls evening classes; "night school" English's.
    (("evenings",), r"evenings?|at night|nights|night (?:school|classes|courses?)|after work|"
                    r"after 5|le soir|les soirs|en soiree|soirees?|de soir|du soir|"
                    r"apres le travail"),
    (("weekends",), r"week-?ends?|fins? de semaine|saturdays?|sundays?|samedis?|dimanches?"),
    (("daytime",), r"daytime|during the day|day classes|full[- ]time|de jour|en journee|"
                   r"le jour|temps plein"),
)


def _parse_schedule(text: str) -> tuple[str, ...] | None:
    chosen: set[str] = set()
    remaining = text
    for values, pattern in _SCHEDULE_PATTERNS:
        regex = re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])")
        if regex.search(remaining):
            chosen.update(values)
            remaining = regex.sub(" ", remaining)  # "work days" must not also read as "days"
    return tuple(v for v in SCHEDULES if v in chosen) or None


_LANG_PHRASES = {
    "fr": r"in french|en francais|french[- ]language|francophone|taught in french|"
          r"french program(?:me)?s?|french courses?|french classes|programmes? francophones?|"
          r"de langue francaise",
    "en": r"in english|en anglais|english[- ]language|anglophone|taught in english|"
          r"english program(?:me)?s?|english courses?|english classes|de langue anglaise",
}
_PROGRAM_WORDS = re.compile(
    r"(?<![a-z])(?:courses?|programs?|programmes?|classes|class|training|taught|teach|"
    r"study|studying|formations?|cours|etudier|etudes|micro-?credentials?|"
    r"microcertifications?|college|colleges|school|ecole|offered|offerts?|enseigne)(?![a-z])")
_CHAT_WORDS = re.compile(
    r"(?<![a-z])(?:speak|talk|chat|reply|answer|respond|write to me|switch|parler|parle|"
    r"parlez|repondre|repondez|reponds|ecris|ecrivez|discuter|changer de langue)(?![a-z])")


def _parse_language(text: str, other_constraints: bool) -> str | None:
    found: list[tuple[int, str]] = []
    for lang, pattern in _LANG_PHRASES.items():
        for match in re.finditer(r"(?<![a-z])(?:" + pattern + r")(?![a-z])", text):
            found.append((match.start(), lang))
    if not found:
        return None
    # "in French please" alone asks to switch the chat language; only a message about
    # programs ("courses in French", "online in French under $800") sets the program language.
    if not _PROGRAM_WORDS.search(text) and (not other_constraints or _CHAT_WORDS.search(text)):
        return None
    return max(found)[1]


def strip_places(folded_text: str) -> str:
    """``folded_text`` (see ``fold``) without the Ontario place names it mentions."""
    return _PLACE_RE.sub(" ", folded_text)


def _parse_region(text: str) -> str | None:
    matches = list(_PLACE_RE.finditer(text))
    if not matches:
        return None
    return _PLACE_TO_REGION[matches[-1].group(1)]


_AID = re.compile(
    r"(?<![a-z])(?:osap|rafeo|financial (?:aid|help|assistance|support)|student loans?|"
    r"student aid|aide financiere|aide aux etudes|pret etudiant|prets etudiants|"
    r"bourses?|financement|funding|funded|loans?|grants?|subventions?)(?![a-z])")
_NO_AID = re.compile(
    r"(?:no|not|don't|do not|without|pas|sans|aucun|never mind)\s+(?:\w+\s+){0,3}?"
    r"(?:osap|rafeo|financial|aide|funding|financement|loan|pret)")


def _parse_aid(text: str) -> bool | None:
    if _NO_AID.search(text):
        return False
    return True if _AID.search(text) else None


def parse_constraints(text: str, previous: Constraints | None = None) -> Constraints:
    """The constraints stated in ``text`` merged over ``previous`` field by field: a field the
    message states replaces the old value, "any budget" / "peu importe le prix" clears it, a
    field it does not mention is kept."""
    base = previous if isinstance(previous, Constraints) else Constraints.from_dict(
        previous if isinstance(previous, Mapping) else None)  # a raw slot value is tolerated
    if not isinstance(text, str) or not text.strip():
        return base
    prepared = _prepare(text)
    updates: dict[str, Any] = {}

    weeks, hours = _parse_durations(prepared)
    cost = _parse_cost(_DURATION.sub(" ", prepared))
    if cost is not None:
        updates["max_cost"] = cost
    if weeks is not None:
        updates["max_weeks"] = weeks
    if hours is not None:
        updates["max_hours"] = hours
    delivery = _parse_delivery(prepared)
    if delivery:
        updates["delivery"] = delivery
    schedule = _parse_schedule(prepared)
    if schedule:
        updates["schedule"] = schedule
    region = _parse_region(prepared)
    if region:
        updates["region"] = region
    aid = _parse_aid(prepared)
    if aid is not None:
        updates["financial_aid"] = True if aid else None
    language = _parse_language(prepared, other_constraints=bool(updates))
    if language:
        updates["language"] = language

    for pattern, names in ((_CLEAR_COST, ("max_cost",)),
                           (_CLEAR_DURATION, ("max_weeks", "max_hours")),
                           (_CLEAR_DELIVERY, ("delivery",)), (_CLEAR_SCHEDULE, ("schedule",)),
                           (_CLEAR_LANGUAGE, ("language",)), (_CLEAR_REGION, ("region",))):
        if pattern.search(prepared):
            for name in names:
                updates[name] = () if name in ("delivery", "schedule") else None
    return replace(base, **updates)


# --- goals ---------------------------------------------------------------------------------

_GOAL_PATTERNS: tuple[tuple[Goal, re.Pattern[str]], ...] = (
    ("return_to_work", re.compile(
        r"(?<![a-z])(?:back to work|return(?:ing)? to work|go back to work|get back to work|"
        r"re-?enter(?:ing)? the (?:work ?force|job market)|back into the (?:work ?force|"
        r"job market)|after (?:a|my) (?:break|leave|career break|maternity|parental|injury)|"
        r"years? off|been out of work|out of the work ?force|retour au travail|"
        r"retourner au travail|reprendre le travail|revenir (?:au travail|sur le marche)|"
        r"retour sur le marche|apres un conge|apres une pause)(?![a-z])")),
    ("change_career", re.compile(
        r"(?<![a-z])(?:switch(?:ing)? (?:careers?|carriere)|"
        r"change (?:my )?(?:careers?|carriere)|changing careers?|career change|career switch|"
        r"new career|new field|different field|get into|break into|move into|"
        r"transition (?:to|into)|become an?|pivot|"
        r"changer de (?:carriere|metier|domaine|travail)|me reorienter|reorientation|"
        r"reconversion|me reconvertir|devenir|nouveau metier|nouvelle carriere|"
        r"nouveau domaine)(?![a-z])")),
    ("upskill", re.compile(
        r"(?<![a-z])(?:better at my (?:job|work)|get better|improve my (?:skills|work)|"
        r"promotion|promoted|up-?skill(?:ing)?|advance (?:in|my)|move up|level up|raise|"
        r"in my current (?:job|role)|stay in my (?:job|field)|keep my job|update my skills|"
        r"me perfectionner|perfectionnement|ameliorer mes competences|avancement|"
        r"monter en grade|mettre a jour mes competences|progresser|"
        r"dans mon (?:emploi|poste) actuel)(?![a-z])")),
    ("explore", re.compile(
        r"(?<![a-z])(?:explore|exploring|just looking|browsing|not sure|don't know what|"
        r"see (?:my|the|what) options|what options|curious|explorer|pas sur|"
        r"je ne sais pas|voir (?:mes|les) options|decouvrir|juste regarder)(?![a-z])")),
)


def parse_goal(text: str) -> Goal | None:
    """The learner's goal in ``text`` (EN or FR), or None when none is stated. When a message
    names several, the most specific wins (returning to work, then changing careers)."""
    if not isinstance(text, str) or not text.strip():
        return None
    prepared = _prepare(text)
    for goal, pattern in _GOAL_PATTERNS:
        if pattern.search(prepared):
            return goal
    return None


# --- amounts as each language writes them (sentences: knowledge/explainer.py) ------------

def format_money(amount: float, lang: Lang, keep_cents: bool = False) -> str:
    """$1,500 / $17.50 in English; 1 500 $ / 17,50 $ in French (non-breaking spaces).
    ``keep_cents``: $22.00, as hourly wages are written."""
    cents = keep_cents or round(amount * 100) % 100 != 0
    text = f"{amount:,.2f}" if cents else f"{round(amount):,}"
    if lang == "fr":
        return text.replace(",", "\u00a0").replace(".", ",") + "\u00a0$"
    return "$" + text


def format_number(value: float, lang: Lang) -> str:
    text = f"{value:g}" if value != int(value) else str(int(value))
    return text.replace(".", ",") if lang == "fr" else text
