"""Reading a whole message: the job a learner has, the job or field they want, their goal,
their limits and their questions, in English or French, in one sentence or several.

The entity extractor is not trusted to find a job's span. Here the words that say "this is my
job" ("I've been a", "laid off from", "je suis", "chu") or "this is the one I want" ("want to
become", "move up to", "bridge to", "devenir", "me réorienter vers") open a span, the next
clause boundary ("for 9 years", "in Sudbury", "et", ",") closes it, and the resolver decides
how much of it is a title (the longest part that reads as one). A short message without cues
("PSW", "soudeuse") is the job itself. A wanted field or skill that is no occupation
("machine learning", "la paie") is kept as the skill to look for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.constraints import Constraints, Goal, fold, parse_goal, read_limits
from knowledge.language import Lang
from knowledge.resolver import Resolution, TitleIndex, resolve_title, resolve_titles

MAX_SPAN_WORDS = 6  # a job title is a few words; a field a few more ("health-care administration")
MAX_CLAUSE_WORDS = 6  # a clause this short without a cue may be the job itself ("PSW, RPN")
MAX_CHARS = 2000  # the rest of a long story is not read for jobs
# Bounds on the resolver's work for one message, whatever it holds: a paste of 2,000
# characters of "I'm a x, I'm a y, ..." must not hold the actions server for everyone.
MAX_CUES = 8  # cues of each kind (current, target) whose spans are resolved
MAX_CLAUSES = 12  # uncued clauses resolved
BARE_LIKELY = 80.0  # an uncued title opening the message, this likely: asked back about


@dataclass(frozen=True)
class JobMention:
    """A job (or, for a target, a field) the message names."""

    text: str  # the words of the message, as typed
    nocs: tuple[str, ...] = ()  # the resolver's candidates, best first
    clear: bool = False  # the resolver is sure of the first
    skill: str | None = None  # a field or skill to learn (targets only)
    resolution: Resolution | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MessageReading:
    current: JobMention | None
    target: JobMention | None
    goal: Goal | None
    constraints: Constraints
    preferences: Constraints = Constraints()
    questions: tuple[str, ...] = ()


# Cues, on folded text (lower case, no accents). Each ends where the span starts.
_ARTICLE = r"(?:(?:an?|the|une?|la|le|les|des|de|du)\s+|l'|d')?"
# Current-job cues, strongest first: a present "I work as" beats "I was" (the job held now is
# the one said last in the present: "I was a nurse in Ukraine. Here I work as a dietary aide").
_CURRENT_CUES = (
    r"(?:i\s+)?(?:currently\s+|now\s+)?work(?:ing)?\s+(?:as|like)\s+" + _ARTICLE,
    r"(?:je\s+)?(?:travaille|bosse)\s+(?:comme|en\s+tant\s+que|en)\s+" + _ARTICLE,
    r"i'?m\s+(?:currently\s+|now\s+|still\s+)?" + _ARTICLE,
    r"i\s+am\s+(?:currently\s+|now\s+)?" + _ARTICLE,
    r"my\s+(?:job|title|position|role|occupation)\s+is\s+" + _ARTICLE,
    r"(?:je\s+suis|chu|j'suis|jsuis)\s+(?:presentement\s+|actuellement\s+)?" + _ARTICLE,
    r"mon\s+(?:emploi|metier|poste|travail|job)\s+(?:est|c'est)\s+" + _ARTICLE,
    r"i\s+was\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"i'?ve\s+been\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"i\s+have\s+been\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"i\s+worked\s+(?:as|like)\s+" + _ARTICLE,
    r"i\s+used\s+to\s+(?:be|work\s+as|do)\s+" + _ARTICLE,
    r"(?:laid\s+off|let\s+go|fired)\s+(?:from\s+)?(?:my\s+)?(?:job\s+)?(?:as\s+)?" + _ARTICLE,
    r"my\s+(?:job|title|position|role|occupation)\s+was\s+" + _ARTICLE,
    r"(?:ex-|former\s+|retired\s+)",
    r"i\s+drive\s+" + _ARTICLE,
    r"(?:j'etais|j'ai\s+ete)\s+" + _ARTICLE + r"(?:ancien(?:ne)?\s+)?",
    r"(?:je\s+)?(?:travaillais|bossais)\s+(?:comme|en\s+tant\s+que|en)\s+" + _ARTICLE,
    r"(?:mise?\s+a\s+pied|licencie(?:e)?)\s+(?:comme|de\s+mon\s+poste\s+de)\s+" + _ARTICLE,
    r"retraite(?:e)?\s+(?:de|du|des)\s+" + _ARTICLE,
    r"mon\s+(?:emploi|metier|poste|travail|job)\s+etait\s+" + _ARTICLE,
    r"ancien(?:ne)?\s+",
)
# Target cues: an occupation wanted ...
_TARGET_JOB_CUES = (
    r"(?:want|wanna|would\s+like|i'?d\s+like|hope|hoping|plan(?:ning)?|trying|try|going)\s+"
    r"to\s+(?:become|be|work\s+as|get\s+back\s+to\s+work\s+as|switch\s+to|train\s+as)\s+"
    + _ARTICLE,
    r"(?:become|becoming)\s+" + _ARTICLE,
    r"(?:move|moving)\s+up\s+to\s+" + _ARTICLE,
    r"bridg(?:e|ing)\s+(?:to|into)\s+" + _ARTICLE,
    r"(?:switch|switching|transition|transitioning|pivot|pivoting)\s+(?:to|into)\s+"
    + _ARTICLE,
    r"(?:train|training|study|studying)\s+(?:as|to\s+be)\s+" + _ARTICLE,
    r"(?:earn|make|paid)\s+as\s+" + _ARTICLE,
    r"(?:thinking|thinkin)\s+(?:about\s+)?" + _ARTICLE,
    r"(?:devenir|redevenir)\s+" + _ARTICLE,
    r"(?:travailler|bosser)\s+comme\s+" + _ARTICLE,
    r"(?:peut-etre|peut\s+etre|maybe)\s+" + _ARTICLE,
)
# "want RPN", "veux devenir": a job only when the words are a title.
_TARGET_TITLE_CUES = (
    r"(?:want|wants|wanna|aiming\s+for|aim\s+for|going\s+for|veux|voudrais|vise)\s+"
    + _ARTICLE,
)
# ... or a field or skill to learn.
_TARGET_FIELD_CUES = (
    r"(?:get|getting|break|breaking|move|moving|go|going)\s+into\s+" + _ARTICLE,
    r"(?:work|working|job|career|something|anything|courses?|classes|training|programs?|"
    r"certificat(?:e|ion)s?|certified|microcredentials?|upskill(?:ing)?|skills?|"
    r"specialize|specialise|have|offer)\s+(?:\w+\s+){0,3}?(?:in|on)\s+" + _ARTICLE,
    r"(?:want|wanna|would\s+like|i'?d\s+like|like|need|needs|hope)\s+to\s+"
    r"(?:learn|study|do|add|get)\s+" + _ARTICLE,
    r"(?:interested\s+in|looking\s+(?:at|into)|learn(?:ing)?(?:\s+about)?|improve\s+my|"
    r"add)\s+" + _ARTICLE,
    r"(?:teach(?:es)?|teaching|train(?:s)?\s+(?:people\s+|staff\s+)?(?:in|on))\s+"
    + _ARTICLE,
    r"(?:need|needs|get|getting)\s+(?:my|our|their|his|her|a|an)\s+",
    r"(?:me\s+)?(?:reorienter|recycler|reconvertir|former|perfectionner|specialiser)\s+"
    r"(?:vers|en|dans|comme)\s+" + _ARTICLE,
    r"(?:passer|aller|monter)\s+(?:a|vers|en)\s+" + _ARTICLE,
    r"(?:travailler|bosser|quelque\s+chose|job|emploi)\s+(?:en|dans)\s+" + _ARTICLE,
    r"(?:apprendre|etudier|ajouter|enseigner|enseignent|enseigne|ameliorer)\s+" + _ARTICLE,
    r"(?:formations?|cours|programmes?|certificats?|microcertifications?|competences?)\s+"
    r"(?:en|de|sur|pour|d')\s*" + _ARTICLE,
    r"(?:interesse(?:e)?\s+par|interesse(?:e)?\s+a)\s+" + _ARTICLE,
)
_CURRENT = [re.compile(r"(?<![\w'])(?:" + cue + r")") for cue in _CURRENT_CUES]
# "I'm" and "je suis" open many things that are no job ("I'm in Kingston", "je suis prête"):
# after them the resolver must be sure, or find the title likely.
_WEAK_CUE = re.compile(r"(?:i'?m|i\s+am|je\s+suis|chu|j'suis|jsuis|i\s+was|j'etais)\s+"
                       r"(?:currently\s+|now\s+|still\s+|presentement\s+|actuellement\s+)?$")
WEAK_CUE_LIKELY = 50.0
_TARGET_JOB = re.compile(r"(?<![\w'])(?:" + "|".join(_TARGET_JOB_CUES) + r")")
_TARGET_FIELD = re.compile(r"(?<![\w'])(?:" + "|".join(_TARGET_FIELD_CUES) + r")")
_TARGET_TITLE = re.compile(r"(?<![\w'])(?:" + "|".join(_TARGET_TITLE_CUES) + r")")
_TARGET = re.compile(_TARGET_JOB.pattern + "|" + _TARGET_FIELD.pattern)
# A span that ends in "course" names the field before it ("a leadership course").
_FIELD_NOUNS = re.compile(r"\s+(?:course|courses|program|programs|training|certificate|"
                          r"certification|ticket|stuff|things)$")
# Words that close a span (the prepositions inside titles are not among them: "director of
# nursing", "préposé aux bénéficiaires"; the resolver then keeps the part that is a title).
_STOP_WORDS = frozenset((
    "become", "becoming", "devenir", "etre", "get", "learn", "apprendre", "faire", "do",
    "ligne", "personne", "presentiel", "distance", "online", "person", "remote",
    "not", "sure", "looking", "going", "trying", "here", "also", "just", "only", "really",
    "very", "pas", "ne", "pret", "prete", "ici", "aussi", "juste", "seulement", "vraiment",
    "last", "next", "spring", "summer", "fall", "autumn", "winter", "yesterday", "today",
    "dernier", "derniere", "passe", "prochain", "printemps", "ete", "automne", "hiver", "for",
    "since", "at", "in", "from", "with", "and", "but", "so", "because", "or", "who", "when",
    "where", "while", "until", "then", "to", "on", "by", "this", "that", "these", "those",
    "now", "currently", "still", "years", "year", "yrs", "months", "month", "weeks", "days",
    "ago", "experience", "online", "evenings", "weekends", "near", "around", "about", "i",
    "i'm", "im", "my", "me", "we", "our", "it", "is", "was", "am", "are", "be", "been", "have",
    "has", "had", "can", "could", "would", "will", "should", "like", "want", "looking", "need",
    "hoping", "pour", "depuis", "chez", "avec", "et", "mais", "donc", "parce", "ou", "qui",
    "quand", "pendant", "puis", "ce", "cette", "ces", "maintenant", "encore", "ans", "an",
    "mois", "semaines", "jours", "d'experience", "je", "j'ai", "mon", "ma", "mes", "nous",
    "notre", "c'est", "est", "etait", "suis", "veux", "voudrais", "aimerais", "cherche",
    "besoin",
))
_BOUNDARY = re.compile(r"[.,;:!?()\[\]\n/]|\s-\s|\s+(?:but|mais|and then|et puis)\s+")
_WORD = re.compile(r"[\w'+#&-]+")


def read_message(text: str, lang: Lang | None = None, previous: Constraints | None = None,
                 index: TitleIndex | None = None) -> MessageReading:
    """Everything a message says about the learner's jobs, goal and limits."""
    if not isinstance(text, str):
        text = ""
    text = text[:MAX_CHARS]
    current, target = find_jobs(text, lang, index)
    limits = read_limits(text, previous)
    return MessageReading(current, target, parse_goal(text), limits.constraints,
                          limits.preferences, limits.questions)


def find_jobs(text: str, lang: Lang | None = None, index: TitleIndex | None = None
              ) -> tuple[JobMention | None, JobMention | None]:
    """The job the message says the learner has, and the job or field they want."""
    folded = fold(text)
    target = None
    cues = sorted([(m.start(), m.end(), "job") for m in _TARGET_JOB.finditer(folded)]
                  + [(m.start(), m.end(), "field") for m in _TARGET_FIELD.finditer(folded)]
                  + [(m.start(), m.end(), "title") for m in _TARGET_TITLE.finditer(folded)])
    for _start, end, kind in cues[:MAX_CUES]:
        target = _mention_after(text, folded, end, lang, index, kind)
        if target is not None:
            break
    current = None
    tried = 0
    for pattern in _CURRENT:  # strongest cue first
        for match in pattern.finditer(folded):
            tried += 1
            if tried > MAX_CUES:
                break
            if target is not None and _overlaps(match, target, text):
                continue
            current = _mention_after(text, folded, match.end(), lang, index, "current")
            weak = _WEAK_CUE.search(folded[match.start():match.end()]) is not None
            if current is not None and weak and not current.clear and (
                    current.resolution is None or not current.resolution.candidates
                    or current.resolution.candidates[0].score < WEAK_CUE_LIKELY):
                current = None
            if current is not None and (target is None or current.text != target.text):
                break
            current = None
        if current is not None:
            break
    if current is None:
        current = _bare_title(text, folded, lang, index, exclude=target)
    return current, target


def _overlaps(match: re.Match[str], mention: JobMention, text: str) -> bool:
    at = text.find(mention.text)
    return at >= 0 and match.start() <= at + len(mention.text) and at <= match.end()


def _span_words(text: str, folded: str, start: int) -> list[tuple[str, int, int]]:
    """The words after ``start`` up to the clause's end or a stop word: (word, start, end)."""
    end = len(folded)
    boundary = _BOUNDARY.search(folded, start)
    if boundary is not None:
        end = boundary.start()
    words: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(folded, start, end):
        word = match.group()
        # A span starts right where its cue (or clause) ends: "je ne veux pas payer" opens
        # no title, and "formation en ligne" names no field.
        if word in _STOP_WORDS or word.isdigit():
            break
        words.append((word, match.start(), match.end()))
        if len(words) >= MAX_SPAN_WORDS:
            break
    return words


def _mention_after(text: str, folded: str, start: int, lang: Lang | None,
                   index: TitleIndex | None, kind: str) -> JobMention | None:
    """The job (or field) named right after a cue: the longest part of the span, from its
    start, that reads as a title; for a field cue, the span itself is the skill."""
    words = _span_words(text, folded, start)
    if not words:
        return None
    whole = text[words[0][1]:words[-1][2]]
    field_words = _FIELD_NOUNS.sub("", whole) if kind in ("job", "field") else whole
    if kind == "title":  # "want RPN": only a title the resolver is sure of
        res = resolve_title(whole, lang, index=index)
        if res.status != "clear":
            return None
        return JobMention(whole, tuple(c.noc for c in res.candidates), True, None, res)
    if kind == "field":
        res = resolve_title(field_words, lang, index=index)
        nocs = tuple(c.noc for c in res.candidates) if res.status != "none" else ()
        return JobMention(field_words, nocs, res.status == "clear", field_words, res)
    # The longest part, from the span's start, that the resolver is sure of; else the longest
    # that reads as a title at all ("machinist last spring" -> "machinist").
    found: JobMention | None = None
    spans = [text[words[0][1]:words[n - 1][2]] for n in range(len(words), 0, -1)]
    # One batch: the meanings of all the parts are encoded together (~3x cheaper than apart).
    for span, res in zip(spans, resolve_titles(spans, lang, index=index), strict=True):
        if res.status == "none" or not res.candidates:
            continue
        nocs = tuple(c.noc for c in res.candidates)
        mention = JobMention(span, nocs, res.status == "clear",
                             span if kind == "job" and res.status != "clear" else None, res)
        if mention.clear:
            return mention
        found = found or mention
    if found is not None:
        return found
    if kind == "job":  # no occupation by that name: a field to learn ("machine learning")
        return JobMention(field_words, skill=field_words)
    return None


def _bare_title(text: str, folded: str, lang: Lang | None, index: TitleIndex | None,
                exclude: JobMention | None) -> JobMention | None:
    """A title with no cue, at the start of the message or as a clause of its own ("PSW,
    want RPN, online", "Bartender at a pub downtown for 6 years"): the resolver must be
    sure of it, or, opening the message, find it likely (then the learner is asked which)."""
    start = 0
    candidates: list[tuple[int, str]] = []  # (clause position, span)
    for position, boundary in enumerate([*_BOUNDARY.finditer(folded), None]):
        end = boundary.start() if boundary is not None else len(folded)
        clause_start = start
        start = boundary.end() if boundary is not None else len(folded)
        words = _span_words(text, folded[:end], clause_start)
        clause_words = _WORD.findall(folded[clause_start:end])
        if not words or (position > 0 and len(clause_words) > 3):
            continue
        if _TARGET.search(folded[clause_start:end]):
            continue
        span = text[words[0][1]:words[-1][2]]
        if exclude is not None and (span in exclude.text or exclude.text in span):
            continue
        candidates.append((position, span))
        if len(candidates) >= MAX_CLAUSES:
            break
    spans = [span for _position, span in candidates]
    for (position, span), res in zip(candidates, resolve_titles(spans, lang, index=index),
                                     strict=True):
        likely = res.status == "ambiguous" and position == 0 and res.candidates and (
            res.candidates[0].score >= BARE_LIKELY)
        if res.candidates and (res.status == "clear" or likely):
            return JobMention(span, tuple(c.noc for c in res.candidates),
                              res.status == "clear", None, res)
    return None
