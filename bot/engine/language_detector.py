"""Per-message language detection (English / French) as a Rasa 3.6 NLU component.

Adds one entity, ``language`` with value ``en`` or ``fr``, to a message only when the
language is clear. The ``language`` slot is filled from that entity, so a message that says
nothing about its language ("ok", "PSW", "$800", a button payload) leaves the slot as it was.

How it decides (``decide``), in order:

1. Drop what carries no language: button payloads ("/intent{...}"), URLs, e-mails,
   numbers and prices, acronyms written in capitals (PSW, RPN, CNC, AZ, OSAP ...), and a
   short list of words both languages use in chat (ok, cool, super, bye, admin, dev ...).
   Nothing left: no entity.
2. Count marker words: French function and chat words (je, suis, les, pour, oui, non,
   merci, bonjour, svp ...), French elisions (j', c', qu', d' ...) and accented letters;
   English function and chat words (I, I'm, the, and, for, want, yes, thanks, please ...).
3. Ask lingua (restricted to English and French) for its confidence on what is left.
4. Long enough (3+ words): none when both languages have 2+ markers and neither has more
   than twice the other's: a code-switched message ("I'm a soudeur looking for cours en
   ligne") leaves the conversation in the language it had. Else lingua's pick when its
   confidence is >= ``min_confidence`` (``short_min_confidence`` when there is no marker:
   "Toronto Ottawa Sudbury") and the markers do not clearly point the other way;
   else the markers' pick when it is clear (at least 2 markers and twice as many as the
   other language's); else none.
   Short (1-2 words): markers of one language only decide ("oui", "merci", "je suis",
   "thanks", "yes"); otherwise lingua only when it is very sure (``short_min_confidence``)
   of a word of 5+ letters ("camionneur", "welder"); otherwise none. Without markers, every
   word must look like one (a vowel, three different letters): not "hfhfhf", "ppppp".

The model has nothing to train, so this component is not trainable; lingua's two language
models are loaded once per process (about 0.3 s).

Debug from the repo root: ``.venv-engine/bin/python -m bot.engine.language_detector TEXT...``
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, NamedTuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.language import Lang

logger = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())

ENTITY = "language"

# Words that are function/chat words of one language and (practically) never of the other.
FR_MARKERS = _words(
    """
    je tu il elle nous vous ils elles moi toi lui leur eux mon ma mes ta tes sa ses notre
    nos votre vos ce cet cette ces le la les un une des du au aux de en et ou où mais donc
    ni que qui quoi quel quelle quels quelles lequel laquelle pour avec sans dans chez vers
    pendant depuis entre sous par parce comme aussi très trop peu beaucoup encore déjà
    toujours jamais rien tout tous toute toutes autre autres même ne pas moins est sont suis
    es sommes êtes était étais été être avons avez ont avoir fait fais faire veux veut
    voulons voudrais voulez aimerais aimerait peux peut pouvez pourrais dois doit devrais
    cherche cherchais travaille travaillais travaillé étudier apprendre comment combien
    pourquoi quand oui non ouais ouin merci bonjour bonsoir salut allo allô svp stp plaît
    aide aidez aider cours formation formations programmes métier emploi travail soir soirs fin
    semaine ligne temps partiel plein cher chère chers coût coûte prix gratuit parfait
    accord français francais anglais parlez parles parle recommencer voir montre montrez
    montrer dis dites dire quelque chose ça ca voilà voici bien bon bonne merveilleux génial
    alors ici là
    """
)
EN_MARKERS = _words(
    """
    i im i'm ive i've i'd ill i'll me my mine you your yours we our us he she his her they
    their them its it's is are am was were be been being the and or but so of to for with
    without from into about at by than then this that these those what which who whom whose
    how where why when can could would should will shall do does did don't doesn't didn't
    can't cant won't want wanna wants need needs looking look get got getting give show tell
    find have has had just some any more less much many very also too not yes yeah yep yup
    under nope nah no thanks thank thx ty please pls plz hi hello hey hiya howdy morning evening
    evenings online cheap cheaper cheapest cost costs price free course courses program
    programs work worked working career skills learn learning help english french speak talk
    again start over sure great awesome good nice well there here now
    """
)
# French elisions: j'ai, c'est, qu'est, d'un, l'école, n'ai, m'aider, t'es, s'il.
FR_ELISION = re.compile(r"^(?:j|c|qu|d|l|n|m|t|s|jusqu|lorsqu|puisqu)'[a-zà-ÿœ]")
# English contractions: I'm, don't, it's, I've, we're, I'd, you'll.
EN_CONTRACTION = re.compile(r"[a-z]'(?:m|t|s|ve|re|d|ll)$")
FR_ACCENTS = re.compile(r"[àâäçéèêëîïôöùûüÿœæ]")
# Said in both languages in chat, or domain words and abbreviations with no language.
NEUTRAL = _words(
    """
    ok okay k kk oki okok super cool bye byebye ciao lol mdr hmm hm euh uh um ah oh wow psw
    pssp iaa
    rpn rn ece epe cnc plc az dz hvac cvc osap rafeo noc cnp dev devops admin it ti ia ai
    aws sql excel python java web ui ux hr rh pca ccna cpa bsc msc mba phd
    """
)
URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+")
VOWEL = re.compile(r"[aeiouyàâäéèêëîïôöùûüÿœæ]")


def looks_like_a_word(word: str) -> bool:
    """A vowel and three different letters: lingua is sure of keyboard mashes too ("hfhfhf"
    -> English 0.999, "ppppp" -> French 0.997), and one must not switch the conversation."""
    return bool(VOWEL.search(word)) and len(set(word)) >= 3
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


class Decision(NamedTuple):
    language: Lang | None
    confidence: float
    reason: str


def content_words(text: str) -> list[str]:
    """The words of `text` that can tell its language (lower-cased, see module doc)."""
    text = URL.sub(" ", text)
    words = []
    for match in WORD.finditer(text):
        raw = match.group().replace("’", "'")
        if len(raw) >= 2 and raw.isupper() and "'" not in raw:
            continue  # an acronym: PSW, RPN, CNC, AZ, OSAP
        word = raw.lower()
        if word in NEUTRAL:
            continue
        if len(word) == 1 and word not in ("i", "à", "y"):
            continue  # "a" is English and French; lone letters say nothing
        words.append(word)
    return words


def marker_counts(words: list[str]) -> tuple[int, int]:
    """(English markers, French markers) among `words`."""
    en = fr = 0
    for word in words:
        if word in FR_MARKERS or FR_ELISION.match(word):
            fr += 1
        elif word in EN_MARKERS or EN_CONTRACTION.search(word):
            en += 1
        elif FR_ACCENTS.search(word):
            fr += 1
    return en, fr


class _Lingua:
    """lingua's detector for English and French, built on first use."""

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self._codes: dict[Any, Lang] = {Language.ENGLISH: "en", Language.FRENCH: "fr"}
        self._detector = (
            LanguageDetectorBuilder.from_languages(*self._codes)
            .with_preloaded_language_models()
            .build()
        )

    def confidences(self, text: str) -> dict[Lang, float]:
        values = self._detector.compute_language_confidence_values(text)
        return {self._codes[v.language]: float(v.value) for v in values}


_LINGUA: _Lingua | None = None


def _lingua() -> _Lingua:
    global _LINGUA
    if _LINGUA is None:
        _LINGUA = _Lingua()
    return _LINGUA


def decide(
    text: str | None, min_confidence: float = 0.8, short_min_confidence: float = 0.9
) -> Decision:
    """The language of one user message, or None when it is not clear (module doc)."""
    if not text or not text.strip() or text.lstrip().startswith("/"):
        return Decision(None, 0.0, "empty or a button payload")
    words = content_words(text)
    if not words:
        return Decision(None, 0.0, "no word that tells the language")
    en, fr = marker_counts(words)
    conf = _lingua().confidences(" ".join(words))
    ranked = sorted(conf, key=conf.__getitem__, reverse=True)  # ties: lingua's order
    best = ranked[0] if ranked else None
    best_conf = conf.get(best, 0.0) if best else 0.0

    if len(words) >= 3:
        if min(en, fr) >= 2 and 2 * min(en, fr) >= max(en, fr):
            # Code-switched ("je suis PSW, what can I take online?"): keep the language.
            return Decision(None, round(best_conf, 3), f"mixed: markers en={en} fr={fr}")
        pro, con = (en, fr) if best == "en" else (fr, en)  # markers for / against lingua's pick
        # No marker at all ("Toronto Ottawa Sudbury", "asdf jkl"): lingua must be very sure,
        # of words.
        needed = min_confidence if en or fr else short_min_confidence
        if not en and not fr and not all(looks_like_a_word(w) for w in words):
            return Decision(None, round(best_conf, 3), "no marker, and not all words")
        if best and best_conf >= needed and not (con >= 2 and con > pro):
            return Decision(best, round(best_conf, 3), f"lingua {best_conf:.2f}")
        if best and best_conf >= 0.7 and pro >= 1 and not con:
            return Decision(best, round(best_conf, 3), f"lingua {best_conf:.2f} + markers")
        if en >= 2 and en >= 2 * fr:
            return Decision("en", 0.8, f"markers en={en} fr={fr}")
        if fr >= 2 and fr >= 2 * en:
            return Decision("fr", 0.8, f"markers en={en} fr={fr}")
        return Decision(None, round(best_conf, 3), f"unclear: markers en={en} fr={fr}")

    if fr and not en:
        return Decision("fr", 0.9, f"markers fr={fr}")
    if en and not fr:
        return Decision("en", 0.9, f"markers en={en}")
    if (
        not en
        and not fr
        and best
        and best_conf >= short_min_confidence
        and max(len(w) for w in words) >= 5
        and all(looks_like_a_word(w) for w in words)
    ):
        return Decision(best, round(best_conf, 3), f"short, lingua {best_conf:.2f}")
    return Decision(None, round(best_conf, 3), "short and unclear")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the entity ``language`` (``en``/``fr``) when a message's language is clear."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": 0.8, "short_min_confidence": 0.9}

    @staticmethod
    def required_packages() -> list[str]:
        return ["lingua"]

    def __init__(self, config: dict[str, Any]) -> None:
        self._min = float(config["min_confidence"])
        self._short_min = float(config["short_min_confidence"])
        _lingua()  # load the language models now, not on the first message

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            decision = decide(text, self._min, self._short_min)
            logger.debug(f"Language of {text!r}: {decision}")
            if decision.language is None:
                continue
            entity = {
                "entity": ENTITY,
                "value": decision.language,
                "start": 0,
                "end": len(text),
                "confidence": decision.confidence,
                "extractor": self.name,
            }
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY]
            message.set(ENTITIES, entities + [entity], add_to_output=True)
        return messages


if __name__ == "__main__":
    for arg in sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin]:
        print(f"{decide(arg)}  {arg!r}")
