"""What people do to a job title when they type it: typos, abbreviations, word order, "I work
as a", seniority words, case and accents. The re-ranker learns from titles typed this way
(``train.py``) and ``bench/resolver.py`` measures on them, each from its own titles."""

from __future__ import annotations

import random
import re

from knowledge.resolver import abbreviations
from knowledge.resolver.normalize import fold, gender_variants

_KEYS = "abcdefghijklmnopqrstuvwxyz"
_EN_PHRASES = ("I work as a", "I'm a", "I used to be a", "my job is", "i am a", "I worked as a",
               "currently", "I was a")
_FR_PHRASES = ("je suis", "j'étais", "je travaille comme", "ancien", "ancienne",
               "j'ai travaillé comme")
_EN_SENIORITY = ("senior", "junior", "lead", "sr", "Sr.", "intermediate")
_FR_SENIORITY = ("principal", "senior", "junior", "principale")
_PAREN = re.compile(r"\s*\([^)]*\)")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    op = rng.choice(("swap", "drop", "insert", "substitute"))
    if op == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "insert":
        return word[:i] + rng.choice(_KEYS) + word[i:]
    return word[:i] + rng.choice(_KEYS.replace(word[i].lower(), "")) + word[i + 1:]


def reverse_abbreviations(lang: str) -> list[tuple[re.Pattern[str], str]]:
    table = abbreviations.FR_ABBREVIATIONS if lang == "fr" else abbreviations.EN_ABBREVIATIONS
    out = []
    for abbr, expansions in table.items():
        if abbr in abbreviations.AMBIGUOUS_SHORT:
            continue
        for phrase in expansions:
            if len(phrase.split()) >= 1 and len(phrase) > len(abbr) + 2:
                pattern = re.compile(r"(?<![\w])" + re.escape(fold(phrase)) + r"(?![\w])")
                out.append((pattern, abbr.upper() if len(abbr) <= 4 else abbr))
    return out


def noisy_query(title: str, lang: str, rng: random.Random,
                reverse: list[tuple[re.Pattern[str], str]]) -> tuple[str, tuple[str, ...]]:
    """What someone might type for a published title, and the noise applied."""
    noise: list[str] = []
    text = rng.choice(gender_variants(title))
    if "(" in text:
        text = _PAREN.sub("", text) if rng.random() < 0.5 else text.replace("(", "").replace(
            ")", "")
    # Abbreviations: the resolver's tables read backwards.
    abbr = None
    if rng.random() < 0.5:
        folded = fold(text)
        hits = [(p, a) for p, a in reverse if p.search(folded)]
        if hits:
            pattern, abbr = rng.choice(hits)
            text = pattern.sub(abbr, folded, count=1)
            noise.append("abbreviation")
    words = text.split()
    if len(words) > 1 and rng.random() < 0.25:
        rng.shuffle(words)
        noise.append("reorder")
    # Typos: 0, 1 or 2, on words of four letters or more (not on an abbreviation just made).
    n_typos = rng.choices((0, 1, 2), weights=(0.25, 0.45, 0.30))[0]
    for _ in range(n_typos):
        long_words = [i for i, w in enumerate(words)
                      if sum(c.isalpha() for c in w) >= 4 and w != abbr]
        if not long_words:
            break
        i = rng.choice(long_words)
        words[i] = _typo(words[i], rng)
        noise.append("typo")
    if rng.random() < 0.2:
        words.insert(0, rng.choice(_FR_SENIORITY if lang == "fr" else _EN_SENIORITY))
        noise.append("seniority")
    if rng.random() < 0.3:
        words.insert(0, rng.choice(_FR_PHRASES if lang == "fr" else _EN_PHRASES))
        noise.append("phrase")
    text = " ".join(words)
    r = rng.random()
    if r < 0.4:
        text = text.lower()
        noise.append("lower")
    elif r < 0.5:
        text = text.upper()
        noise.append("upper")
    if lang == "fr" and rng.random() < 0.5:
        text = "".join(c for c in _strip_accents(text))
        noise.append("accents")
    if not noise:  # every query gets at least one kind of noise
        words = text.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        if long_words:
            i = rng.choice(long_words)
            words[i] = _typo(words[i], rng)
            text = " ".join(words)
            noise.append("typo")
    return text, tuple(noise)


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
