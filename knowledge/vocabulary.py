"""The catalog's controlled vocabulary: delivery modes, schedules, program languages, Ontario's
economic regions and sectors, each a code with its English and French words.

This module owns them: the catalog loader accepts exactly these codes, the constraint parser
produces them, and the explainer, the recommendations payload (so the widget), the Telegram
connector and the employer pages take their words from here. Plain data, no framework.

Each code has two forms in each language:

- ``label``: standing alone, as on a program card ("In person", "En personne", "English");
- ``phrase``: inside a sentence or a list of facts ("in person", "en personne", "in English",
  "in the Toronto region", "dans la région d'Ottawa"); the label when nothing else is given.

Program language and the learner's language are two things: a program is taught in ``en``,
``fr`` or ``bilingual`` (``PROGRAM_LANGUAGES``, what the catalog accepts), while a learner asks
for ``en`` or ``fr`` (``LEARNER_LANGUAGES``, the ``language`` constraint, a ``Lang``); a
bilingual program suits either (``teaches_in``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from knowledge.language import LANGS, Lang

Kind = Literal["delivery", "schedule", "language", "region", "sector"]
KINDS: tuple[Kind, ...] = get_args(Kind)

DeliveryMode = Literal["online", "in_person", "hybrid"]
Schedule = Literal["daytime", "evenings", "weekends", "self_paced"]
ProgramLanguage = Literal["en", "fr", "bilingual"]

DELIVERY_MODES: tuple[DeliveryMode, ...] = get_args(DeliveryMode)
SCHEDULES: tuple[Schedule, ...] = get_args(Schedule)
PROGRAM_LANGUAGES: tuple[ProgramLanguage, ...] = get_args(ProgramLanguage)
"""What a program is taught in (the catalog's ``language`` column)."""
LEARNER_LANGUAGES: tuple[Lang, ...] = LANGS
"""What a learner can ask a program to be taught in (the ``language`` constraint)."""


@dataclass(frozen=True)
class Term:
    """A code's words. ``phrase_*`` is for running text; ``None``: the same as the label."""

    label_en: str
    label_fr: str
    phrase_en: str | None = None
    phrase_fr: str | None = None


_TERMS: dict[Kind, dict[str, Term]] = {
    "delivery": {
        "online": Term("Online", "En ligne", "online", "en ligne"),
        "in_person": Term("In person", "En personne", "in person", "en personne"),
        "hybrid": Term("Hybrid", "Hybride", "hybrid", "hybride"),
    },
    "schedule": {
        "daytime": Term("Daytime", "De jour", "daytime", "le jour"),
        "evenings": Term("Evenings", "En soirée", "evenings", "le soir"),
        "weekends": Term("Weekends", "Fins de semaine", "weekends", "la fin de semaine"),
        "self_paced": Term("Self-paced", "À votre rythme", "at your own pace",
                           "à votre rythme"),
    },
    "language": {
        "en": Term("English", "Anglais", "in English", "en anglais"),
        "fr": Term("French", "Français", "in French", "en français"),
        "bilingual": Term("English and French", "Anglais et français",
                          "in English and French", "en anglais et en français"),
    },
    # Job Bank economic regions of Ontario (the codes of the wage file, the catalog's
    # institutions and programs, and the region constraint); Job Bank names them in English
    # only ("Kingston--Pembroke"), the French names are ours.
    "region": {
        "ER3510": Term("Ottawa", "Ottawa",
                       "in the Ottawa region", "dans la région d'Ottawa"),
        "ER3515": Term("Kingston–Pembroke", "Kingston–Pembroke",
                       "in the Kingston–Pembroke region", "dans la région de Kingston–Pembroke"),
        "ER3520": Term("Muskoka–Kawarthas", "Muskoka–Kawarthas",
                       "in the Muskoka–Kawarthas region", "dans la région de Muskoka–Kawarthas"),
        "ER3530": Term("Toronto", "Toronto",
                       "in the Toronto region", "dans la région de Toronto"),
        "ER3540": Term("Kitchener–Waterloo–Barrie", "Kitchener–Waterloo–Barrie",
                       "in the Kitchener–Waterloo–Barrie region",
                       "dans la région de Kitchener–Waterloo–Barrie"),
        "ER3550": Term("Hamilton–Niagara Peninsula", "Hamilton–péninsule du Niagara",
                       "in the Hamilton–Niagara Peninsula region",
                       "dans la région de Hamilton–péninsule du Niagara"),
        "ER3560": Term("London", "London",
                       "in the London region", "dans la région de London"),
        "ER3570": Term("Windsor–Sarnia", "Windsor–Sarnia",
                       "in the Windsor–Sarnia region", "dans la région de Windsor–Sarnia"),
        "ER3580": Term("Stratford–Bruce Peninsula", "Stratford–péninsule de Bruce",
                       "in the Stratford–Bruce Peninsula region",
                       "dans la région de Stratford–péninsule de Bruce"),
        "ER3590": Term("Northeast Ontario", "Nord-Est de l'Ontario",
                       "in Northeast Ontario", "dans le Nord-Est de l'Ontario"),
        "ER3595": Term("Northwest Ontario", "Nord-Ouest de l'Ontario",
                       "in Northwest Ontario", "dans le Nord-Ouest de l'Ontario"),
    },
    # A program's optional sector (browsing by sector when no skill matches; the words
    # people name it by as a field are SECTOR_WORDS).
    "sector": {
        "manufacturing": Term("Manufacturing", "Fabrication"),
        "health_care": Term("Health care", "Santé"),
        "information_technology": Term("Information technology",
                                       "Technologies de l'information"),
        "construction_trades": Term("Construction and trades", "Construction et métiers"),
        "business_admin": Term("Business and administration", "Affaires et administration"),
        "early_childhood": Term("Early childhood and community services",
                                "Petite enfance et services communautaires"),
        "transportation_logistics": Term("Transportation and logistics",
                                         "Transport et logistique"),
        "hospitality_food": Term("Hospitality and food", "Hôtellerie et alimentation"),
        "public_safety": Term("Public safety and security", "Sécurité publique"),
    },
}

# What people call a sector when they name it as the field they want ("something in
# healthcare", "l'informatique"), folded (lower case, no accents), besides its labels.
SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("manufacturing", "factory", "factories", "factory work", "usine",
                      "usines", "fabrication", "production", "le manufacturier"),
    "health_care": ("health", "healthcare", "health care", "the health field",
                    "health field", "medical", "medical field", "the medical field",
                    "sante", "la sante", "soins de sante", "domaine de la sante",
                    "le domaine de la sante", "le medical", "le domaine medical"),
    "information_technology": ("it", "i.t.", "tech", "technology", "computers",
                               "informatique", "l'informatique", "ti", "les ti",
                               "la techno", "technologie"),
    "construction_trades": ("trades", "the trades", "a trade", "skilled trades",
                            "construction", "metiers", "les metiers", "un metier",
                            "metiers specialises", "la construction"),
    "business_admin": ("business", "admin", "administration", "office work", "an office",
                       "affaires", "les affaires", "travail de bureau"),
    "early_childhood": ("early childhood", "child care", "childcare", "daycare",
                        "community services", "petite enfance", "la petite enfance",
                        "garderie", "services communautaires"),
    "transportation_logistics": ("transportation", "transport", "logistics",
                                 "le transport", "la logistique", "logistique"),
    "hospitality_food": ("hospitality", "food", "food service", "restaurant", "restaurants",
                         "the restaurant industry", "hotel", "hotels", "hotellerie", "restauration",
                         "la restauration", "alimentation"),
    # not "security" alone: an IT worker's security is cybersecurity
    "public_safety": ("public safety", "policing", "law enforcement", "security guard work",
                      "securite publique", "gardiennage"),
}

REGIONS: tuple[str, ...] = tuple(_TERMS["region"])
"""Ontario's economic regions, ``ER3510`` … ``ER3595`` (not ``ER35``, Ontario as a whole)."""
SECTORS: tuple[str, ...] = tuple(_TERMS["sector"])


def codes(kind: Kind) -> tuple[str, ...]:
    """Every code of ``kind``, in the vocabulary's order."""
    return tuple(_TERMS[kind])


def is_code(kind: Kind, code: object) -> bool:
    return isinstance(code, str) and code in _TERMS[kind]


def label(kind: Kind, code: str, lang: Lang) -> str:
    """The code's label in ``lang`` ("In person" / "En personne"); a code the vocabulary does
    not know is returned as it is."""
    term = _TERMS[kind].get(code)
    if term is None:
        return code
    return term.label_fr if lang == "fr" else term.label_en


def phrase(kind: Kind, code: str, lang: Lang) -> str:
    """The code's words inside a sentence ("in person", "in English", "in the Toronto region"
    / "en personne", "en anglais", "dans la région de Toronto"); a code the vocabulary does
    not know is returned as it is."""
    term = _TERMS[kind].get(code)
    if term is None:
        return code
    if lang == "fr":
        return term.label_fr if term.phrase_fr is None else term.phrase_fr
    return term.label_en if term.phrase_en is None else term.phrase_en


def teaches_in(program_language: str, wanted: Lang) -> bool:
    """Whether a program taught in ``program_language`` suits a learner who wants ``wanted``:
    a bilingual program suits a learner asking for English or for French."""
    return program_language in (wanted, "bilingual")
