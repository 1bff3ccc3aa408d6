"""NLU figures for the Rasa model: bench/sets/messages.yml, a small held-out set, optionally CV.

    .venv/bin/python -m bench.nlu_report               # messages.yml test, then dev, then HELD_OUT
    .venv/bin/python -m bench.nlu_report --no-test     # while tuning: dev and HELD_OUT only
    .venv/bin/python -m bench.nlu_report --errors      # + every dev / HELD_OUT error (never test's)
    .venv/bin/python -m bench.nlu_report --cv          # + rasa test nlu --cross-validation -f 3

Runs the engine's `rasa test nlu` in a subprocess (nothing here imports Rasa), once per set,
and prints figures computed from its per-example predictions (`intent_successes.json`,
`intent_errors.json`, `CRFEntityExtractor_{successes,errors}.json`) next to its own reports.

Sets:
* bench/sets/messages.yml, `split: test` (held out: never read to write examples or tune),
  then `split: dev` (read and tuned on: its figures are optimistic). Each message becomes a
  Rasa NLU example: its `intent`; `job_title` = `current_job.text` and the target
  (`target.text`) where those words appear in the message as written (case aside). The
  target is `skill` when it is labelled as a field or skill only, `target_job` when as an
  occupation only, and either when both (Rasa's own report needs one label: `skill` in a
  `search_by_skill` message, `target_job` otherwise). Messages whose labelled words are not
  in the text are left out of the entity figures; messages with `intent: null` (nothing in
  the domain fits) are tested apart: how often the model still answers with a confident
  intent rather than `nlu_fallback`.
* HELD_OUT below: written apart from nlu/ and never trained on.

Intent figures: accuracy and macro-F1 (over the intents of the set) strictly, and counting a
message's `intent_alt` as right (a prediction that is one of its alternatives counts as its
label). Entity figures: spans, exact (same words) and overlapping (shares a word), per entity,
plus Rasa's token-level report. The script stops when a test-split message is an nlu/ example
or a near-copy of one (rapidfuzz ratio >= 85 on lower-cased words) or a HELD_OUT one is an
nlu/ example, and warns about near-copies elsewhere (HELD_OUT's short messages have some).
`make train` first, so the model is current. Figures are printed, not asserted: this is a
bench, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-engine" / "bin" / "rasa"
MODEL = ROOT / "models" / "pathfinder.tar.gz"
MESSAGES = ROOT / "bench" / "sets" / "messages.yml"
EXTRACTOR = "CRFEntityExtractor"
ENTITIES = ("job_title", "target_job", "skill")
FALLBACK = "nlu_fallback"
# Rasa needs an intent per test example: messages labelled `intent: null` get this one, and
# are scored apart (they never enter the intent figures).
NO_INTENT = "no_intent_fits"
NEAR_COPY = 85

HELD_OUT: dict[str, list[str]] = {
    "greet": ["hello hello", "hi, is anyone there", "bonjour à vous", "salut toi"],
    "goodbye": ["ok that's it for today, bye", "bye for now", "bon ben bye", "à bientôt"],
    "thanks": ["thanks so much for this", "many thanks", "merci, c'est gentil",
               "un gros merci"],
    "affirm": ["yes that's right", "yeah ok", "oui c'est exact", "ben oui"],
    "deny": ["no not that", "nope, wrong one", "non, pas ça", "non c'est pas le bon"],
    "inform_job": [
        "I'm a [PSW](job_title) in Hamilton and I'd like to move into [medical office admin]"
        "(target_job)",
        "ive been a [cashier](job_title) at No Frills for 3 years",
        "I worked as a [machine operator](job_title) at a bakery",
        "[RPN](job_title), want to specialize in wound care",
        "I'm a [long haul trucker](job_title), tired of being away from home",
        "I'm a [hotel housekeeper](job_title), under $400 please",
        "I currently work as a [bartender](job_title)",
        "I'm an [office clerk](job_title) at a law firm",
        "je suis [préposée](job_title) dans une résidence pour aînés",
        "je travaille comme [caissière](job_title) chez Metro depuis 3 ans",
        "j'étais [opératrice de machine](job_title) dans une boulangerie",
        "je suis [IAA](job_title) et j'aimerais me spécialiser",
        "je suis [camionneuse](job_title) longue distance",
        "je travaille comme [barman](job_title)",
        "je suis [commis de bureau](job_title) dans un cabinet d'avocats",
        "[soudeur](job_title) depuis 20 ans, je veux un cours le soir",
    ],
    "state_goal": [
        "I'd like a new career, something stable", "I want to become a [paralegal](target_job)",
        "I need to get back into the workforce", "I want to level up my skills",
        "je veux un nouveau métier, quelque chose de stable",
        "je voudrais devenir [technicienne juridique](target_job)",
        "je dois retourner sur le marché du travail", "je veux améliorer mes compétences",
    ],
    "inform_constraint": [
        "must be online", "I've got about $700", "evenings only please",
        "I'm in Kingston and can't drive", "nothing longer than 8 weeks",
        "il faut que ce soit en ligne", "j'ai environ 700 $", "le soir seulement svp",
        "je suis à Kingston et j'ai pas de permis", "rien de plus long que 8 semaines",
    ],
    "ask_recommendations": [
        "so what programs would work for me", "show me some courses",
        "alors quels programmes pourraient marcher pour moi", "montre-moi des cours",
    ],
    "ask_cheaper": [
        "anything a bit less pricey?", "these are out of my price range",
        "quelque chose d'un peu moins cher?", "c'est au-dessus de mes moyens",
    ],
    "ask_wage": [
        "what's the pay for that", "how much per hour", "ça paye combien ça",
        "c'est combien de l'heure",
    ],
    "ask_outlook": [
        "are there many openings in that job", "is it hard to find work in that",
        "y a-t-il beaucoup de postes dans ce métier", "est-ce dur de trouver du travail là-dedans",
    ],
    "ask_microcredential": [
        "what exactly is a micro-credential", "so what's a micro cred anyway",
        "une microcertification c'est quoi exactement", "ça veut dire quoi microtitre",
    ],
    "ask_financial_aid": [
        "will OSAP pay for this", "any funding for people on EI?",
        "est-ce que le RAFEO va payer ça", "du financement pour les gens sur l'assurance-emploi?",
    ],
    "ask_contact": [
        "how do I get in touch with them", "who do I ask about admissions",
        "comment je fais pour les contacter", "à qui je demande pour l'admission",
    ],
    "search_by_skill": [
        "which colleges offer [welding](skill) training",
        "we need staff trained in [PLC programming](skill)",
        "any courses for [Excel](skill) in Ottawa?",
        "quels collèges offrent de la formation en [soudure](skill)",
        "nos employés ont besoin d'une formation en [programmation d'automates](skill)",
        "des cours d'[Excel](skill) à Ottawa?",
    ],
    "change_language": [
        "can we switch to French", "speak English please", "on peut continuer en français?",
        "parle-moi en anglais",
    ],
    "start_over": ["let's start fresh", "reset everything please", "on repart à zéro",
                   "recommençons"],
    "help": ["what can this bot do", "how do I use you", "qu'est-ce que ce robot peut faire",
             "comment je t'utilise"],
    "bot_challenge": ["am I chatting with a bot", "is a human reading this",
                      "je parle à un robot?", "y a-tu un humain qui lit ça"],
    "chitchat": ["how's your day", "you're pretty cool", "ta journée va bien?",
                 "t'es pas mal cool"],
    "out_of_scope": ["what time does Costco close", "can you lend me money",
                     "à quelle heure ferme Costco", "peux-tu me prêter de l'argent"],
    "choose_occupation": ["the third one", "le troisième"],
}


def _plain(example: str) -> str:
    """An example without its entity markup, lower-cased, words only (to spot copies)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", example)
    return " ".join(re.sub(r"[^\w$]+", " ", text.lower()).split())


def training_examples() -> set[str]:
    examples = set()
    for path in sorted((ROOT / "nlu").glob("**/*.yml")):
        for line in path.read_text().splitlines():
            if line.startswith("      - "):
                examples.add(_plain(line[8:]))
    return examples


def copies_of_training(examples: list[str], near: bool = False) -> list[str]:
    """The examples that are also training examples (they would measure nothing); with
    `near`, also those within a rapidfuzz ratio of NEAR_COPY of one."""
    trained = training_examples()
    choices = sorted(trained)
    copies = []
    for example in examples:
        plain = _plain(example)
        if plain in trained or (near and plain and process.extractOne(
                plain, choices, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)):
            copies.append(example)
    return copies


# --- the examples --------------------------------------------------------------------------

@dataclass
class Span:
    start: int
    end: int
    entity: str  # the label written into Rasa's test data
    accepted: frozenset[str]  # the labels that count as right

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


@dataclass
class Example:
    text: str
    intent: str | None
    alternatives: tuple[str, ...] = ()
    entities: list[Span] = field(default_factory=list)
    entities_scored: bool = True  # False: labelled words not found in the text


def _find(text: str, words: str, taken: list[Span]) -> tuple[int, int] | None:
    """Where `words` first appear in `text` as whole words (case aside), apart from `taken`."""
    for match in re.finditer(rf"(?<!\w){re.escape(words.strip())}(?!\w)", text, re.IGNORECASE):
        if not any(span.overlaps(match.start(), match.end()) for span in taken):
            return match.start(), match.end()
    return None


def from_message(row: dict[str, Any]) -> Example:
    intent = row.get("intent")
    example = Example(row["text"], intent, tuple(row.get("intent_alt") or ()))
    job = (row.get("current_job") or {}).get("text")
    target = row.get("target") or {}
    if job:
        where = _find(row["text"], job, example.entities)
        if where:
            example.entities.append(Span(*where, "job_title", frozenset({"job_title"})))
        else:
            example.entities_scored = False
    if target.get("text"):
        accepted = ({"skill"} if target.get("skill") else set()) | (
            {"target_job"} if target.get("noc") or not target.get("skill") else set())
        label = ("skill" if "skill" in accepted and (
            len(accepted) == 1 or intent == "search_by_skill") else "target_job")
        where = _find(row["text"], target["text"], example.entities)
        if where:
            example.entities.append(Span(*where, label, frozenset(accepted)))
        else:
            example.entities_scored = False
    example.entities.sort(key=lambda span: span.start)
    return example


def load_messages(split: str) -> list[Example]:
    from ruamel.yaml import YAML

    rows = YAML(typ="safe").load(MESSAGES.read_text(encoding="utf-8"))
    return [from_message(row) for row in rows if row["split"] == split]


def from_markup(intent: str, example: str) -> Example:
    """A HELD_OUT example: Rasa's `[words](entity)` markup read into spans."""
    text, spans, last = "", [], 0
    for match in re.finditer(r"\[([^\]]+)\]\(([^)]+)\)", example):
        text += example[last:match.start()]
        spans.append(Span(len(text), len(text) + len(match[1]), match[2],
                          frozenset({match[2]})))
        text += match[1]
        last = match.end()
    return Example(text + example[last:], intent, (), spans)


def held_out() -> list[Example]:
    return [from_markup(intent, e) for intent, examples in HELD_OUT.items() for e in examples]


def write_test_data(path: Path, examples: list[Example]) -> None:
    """Rasa's JSON NLU format: no markup to escape (messages hold brackets and quotes)."""
    common = [{"text": e.text, "intent": e.intent or NO_INTENT,
               "entities": [{"start": s.start, "end": s.end, "value": e.text[s.start:s.end],
                             "entity": s.entity} for s in e.entities]} for e in examples]
    path.write_text(json.dumps({"rasa_nlu_data": {"common_examples": common}},
                               ensure_ascii=False, indent=1), encoding="utf-8")


# --- running rasa test nlu -----------------------------------------------------------------

def rasa_test(args: list[str], out: Path) -> float:
    """Runs `rasa test nlu ARGS` into `out`; returns how long it took (seconds)."""
    started = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "RASA_TELEMETRY_ENABLED": "false"}  # no usage events, no Sentry reports
    cmd = [str(RASA), "test", "nlu", "--config", "config.yml", "--domain", "domain.yml",
           "--out", str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started


@dataclass
class Prediction:
    intent: str
    confidence: float
    entities: list[dict[str, Any]]


def _read_json(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text()) if path.exists() else []


def predictions(out: Path, examples: list[Example]) -> dict[str, Prediction]:
    """Per message text, what the model predicted (from rasa's successes and errors files).

    Rasa writes an entity record only for messages with an entity labelled or predicted: a
    message in neither file got no entity."""
    intents = {r["text"]: r["intent_prediction"] for name in ("successes", "errors")
               for r in _read_json(out / f"intent_{name}.json")}
    entities = {r["text"]: r["predicted_entities"] for name in ("successes", "errors")
                for r in _read_json(out / f"{EXTRACTOR}_{name}.json")}
    result = {}
    for example in examples:
        if example.text not in intents:
            sys.exit(f"rasa test nlu returned no intent for {example.text!r}")
        predicted = intents[example.text]
        found = [e for e in entities.get(example.text, [])
                 if e.get("extractor") == EXTRACTOR and e["entity"] in ENTITIES]
        result[example.text] = Prediction(predicted.get("name") or "",
                                          predicted.get("confidence") or 0.0, found)
    return result


def evaluate(examples: list[Example], out: Path) -> tuple[dict[str, Prediction], float]:
    out.mkdir(parents=True, exist_ok=True)
    data = out / "test_data.json"
    write_test_data(data, examples)
    took = rasa_test(["--nlu", str(data), "--model", str(MODEL), "--successes"], out)
    return predictions(out, examples), took


# --- figures -------------------------------------------------------------------------------

def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def intent_figures(pairs: list[tuple[str, str]]) -> tuple[float, float, dict[str, tuple]]:
    """Accuracy, macro-F1 over the labelled intents, and per intent (P, R, F1, support)."""
    labels = sorted({gold for gold, _ in pairs})
    per_intent = {}
    for label in labels:
        tp = sum(1 for gold, got in pairs if gold == got == label)
        predicted = sum(1 for _, got in pairs if got == label)
        support = sum(1 for gold, _ in pairs if gold == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support
        per_intent[label] = (precision, recall, _f1(precision, recall), support)
    accuracy = sum(gold == got for gold, got in pairs) / len(pairs)
    macro = sum(f[2] for f in per_intent.values()) / len(per_intent)
    return accuracy, macro, per_intent


def _match(golds: list[Span], found: list[dict[str, Any]], exact: bool) -> list[tuple]:
    """One-to-one pairs (gold, predicted) of the same accepted label, same words or shared."""
    pairs, used = [], set()
    for gold in golds:
        for i, entity in enumerate(found):
            if i in used or entity["entity"] not in gold.accepted:
                continue
            if ((entity["start"], entity["end"]) == (gold.start, gold.end) if exact
                    else gold.overlaps(entity["start"], entity["end"])):
                pairs.append((gold, entity))
                used.add(i)
                break
    return pairs


def entity_figures(examples: list[Example], preds: dict[str, Prediction],
                   exact: bool) -> dict[str, tuple[float, float, float, int, int]]:
    """Per entity and `all`: span precision, recall, F1, labelled, predicted."""
    labelled: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    right_gold: Counter[str] = Counter()
    right_predicted: Counter[str] = Counter()
    for example in examples:
        if not example.entities_scored:
            continue
        found = preds[example.text].entities
        labelled.update(span.entity for span in example.entities)
        predicted.update(entity["entity"] for entity in found)
        for gold, entity in _match(example.entities, found, exact):
            right_gold[gold.entity] += 1
            right_predicted[entity["entity"]] += 1
    figures = {}
    for name in (*ENTITIES, "all"):
        if name == "all":
            n_gold, n_found = sum(labelled.values()), sum(predicted.values())
            ok_gold, ok_found = sum(right_gold.values()), sum(right_predicted.values())
        else:
            n_gold, n_found = labelled[name], predicted[name]
            ok_gold, ok_found = right_gold[name], right_predicted[name]
        precision = ok_found / n_found if n_found else 1.0
        recall = ok_gold / n_gold if n_gold else 1.0
        figures[name] = (precision, recall, _f1(precision, recall), n_gold, n_found)
    return figures


def _rasa_entity_report(out: Path) -> str:
    report_file = out / f"{EXTRACTOR}_report.json"
    if not report_file.exists():
        return "  (rasa wrote no entity report)"
    report = json.loads(report_file.read_text())
    parts = []
    for name in ("micro avg", *ENTITIES):
        if name in report:
            r = report[name]
            parts.append(f"{name} {r['f1-score']:.3f} (P {r['precision']:.2f}"
                         f" R {r['recall']:.2f}, {r['support']} tokens)")
    return "  rasa's token-level report (one label per target), F1: " + "; ".join(parts)


def _show(spans: list[tuple[str, str]]) -> str:
    return ", ".join(f"{words}={label}" for words, label in spans) or "-"


def summarize(title: str, examples: list[Example], preds: dict[str, Prediction], out: Path,
              show_errors: bool) -> None:
    print(f"\n== {title}")
    labelled = [e for e in examples if e.intent]
    strict = [(e.intent or "", preds[e.text].intent) for e in labelled]
    lenient = [(preds[e.text].intent if preds[e.text].intent in e.alternatives else e.intent or "",
                preds[e.text].intent) for e in labelled]
    accuracy, macro, _ = intent_figures(strict)
    accuracy_alt, macro_alt, per_intent = intent_figures(lenient)
    n_alt = sum(1 for e in labelled if e.alternatives)
    print(f"intents ({len(labelled)} messages, {n_alt} with intent_alt): accuracy "
          f"{accuracy_alt:.3f}, macro-F1 {macro_alt:.3f} with intent_alt accepted; strictly "
          f"{accuracy:.3f} / {macro:.3f}; {FALLBACK} "
          f"{sum(1 for _, got in strict if got == FALLBACK)}")
    weak = sorted(per_intent.items(), key=lambda kv: (kv[1][2], -kv[1][3]))[:6]
    print("  weakest (F1, n): " + ", ".join(f"{k} {v[2]:.2f} (n={v[3]})" for k, v in weak))
    confusions = Counter((gold, got) for gold, got in lenient if gold != got)
    print("  most frequent errors: " + ", ".join(
        f"{gold}->{got} {n}" for (gold, got), n in confusions.most_common(6)))
    scored = [e for e in examples if e.entities_scored]
    print(f"entities ({sum(len(e.entities) for e in scored)} labelled in {len(scored)} "
          f"messages; {len(examples) - len(scored)} messages left out: labelled words not in "
          "the text):")
    exact = entity_figures(examples, preds, exact=True)
    overlap = entity_figures(examples, preds, exact=False)
    for name in (*ENTITIES, "all"):
        p, r, f, n_gold, n_found = exact[name]
        po, ro, fo, _, _ = overlap[name]
        print(f"  {name:<10} exact spans P {p:.2f} R {r:.2f} F1 {f:.2f} | overlapping P {po:.2f}"
              f" R {ro:.2f} F1 {fo:.2f} | labelled {n_gold}, predicted {n_found}")
    print(_rasa_entity_report(out))
    unlabelled = [e for e in examples if not e.intent]
    if unlabelled:
        got = Counter(preds[e.text].intent for e in unlabelled)
        confident = [e for e in unlabelled if preds[e.text].intent != FALLBACK]
        print(f"intent null ({len(unlabelled)} messages, nothing in the domain fits): "
              f"{got[FALLBACK]} {FALLBACK}, {len(confident)} a confident intent ("
              + ", ".join(f"{k} {v}" for k, v in got.most_common() if k != FALLBACK) + ")")
    if not show_errors:
        return
    for e in examples:
        pred = preds[e.text]
        ok = not e.intent or pred.intent == e.intent or pred.intent in e.alternatives
        if not ok or (not e.intent and pred.intent != FALLBACK):
            alts = f" (or {'/'.join(e.alternatives)})" if e.alternatives else ""
            print(f"  x intent {e.text!r}: {e.intent}{alts} -> {pred.intent}"
                  f" ({pred.confidence:.2f})")
    for e in scored:
        pred = preds[e.text]
        if len(_match(e.entities, pred.entities, True)) == len(e.entities) == len(pred.entities):
            continue
        gold_spans = [(e.text[s.start:s.end], "/".join(sorted(s.accepted))) for s in e.entities]
        found = [(e.text[x["start"]:x["end"]], x["entity"]) for x in pred.entities]
        print(f"  x entities {e.text!r}: {_show(gold_spans)} -> {_show(found)}")


def summarize_cv(title: str, out: Path) -> None:
    intents = json.loads((out / "intent_report.json").read_text())
    weighted = intents["weighted avg"]
    print(f"\n== {title}")
    print(f"intents: weighted F1 {weighted['f1-score']:.3f}, macro-F1 "
          f"{intents['macro avg']['f1-score']:.3f}, accuracy {intents.get('accuracy', 0):.3f},"
          f" {weighted['support']} examples")
    print(_rasa_entity_report(out))


def check_copies(sets: dict[str, list[Example]]) -> None:
    """Stops on a test-split message that is an nlu/ example or a near-copy of one, and on a
    HELD_OUT example that is an nlu/ example; warns about the others."""
    for name, examples in sets.items():
        texts = [e.text for e in examples]
        copies = copies_of_training(texts)
        near = [t for t in copies_of_training(texts, near=True) if t not in copies]
        if name == "test" and (copies or near):
            sys.exit(f"test-split messages that are nlu/ examples ({len(copies)}) or near-copies"
                     f" of one (rapidfuzz ratio >= {NEAR_COPY}: {len(near)}): rewrite the"
                     " nlu/ examples")
        if copies and name == "HELD_OUT":
            sys.exit(f"HELD_OUT examples that are training examples too: {copies}")
        if copies or near:
            print(f"warning: {name}: {len(copies)} messages are nlu/ examples, {len(near)} are"
                  f" near-copies of one (ratio >= {NEAR_COPY}): {copies + near}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-test", action="store_true",
                        help="skip the test split (while tuning: dev and HELD_OUT only)")
    parser.add_argument("--errors", action="store_true",
                        help="print every dev and HELD_OUT error (never the test split's)")
    parser.add_argument("--cv", action="store_true", help="also run 3-fold cross-validation")
    args = parser.parse_args()
    if not MODEL.is_file():
        sys.exit(f"{MODEL} is missing: run `make train` first")
    sets: dict[str, list[Example]] = {}
    if not args.no_test:
        sets["test"] = load_messages("test")
    sets["dev"] = load_messages("dev")
    sets["HELD_OUT"] = held_out()
    check_copies(sets)
    titles = {
        "test": "messages.yml, split test (held out, never tuned on)",
        "dev": "messages.yml, split dev (SEEN while tuning the training data: optimistic)",
        "HELD_OUT": "HELD_OUT of bench/nlu_report.py (written apart from nlu/)",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, examples in sets.items():
            preds, took = evaluate(examples, Path(tmp) / name)
            summarize(f"{titles[name]}: {len(examples)} messages, model "
                      f"{MODEL.relative_to(ROOT)}, {took:.0f} s", examples, preds,
                      Path(tmp) / name, show_errors=args.errors and name != "test")
        if args.cv:
            took = rasa_test(["--nlu", "nlu", "--cross-validation", "-f", "3"], Path(tmp) / "cv")
            summarize_cv(f"3-fold cross-validation on nlu/ (test folds, {took:.0f} s)",
                         Path(tmp) / "cv")


if __name__ == "__main__":
    main()
