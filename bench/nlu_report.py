"""NLU figures for the Rasa model: a held-out set, and optionally 3-fold cross-validation.

    .venv/bin/python -m bench.nlu_report              # held-out set vs models/pathfinder.tar.gz
    .venv/bin/python -m bench.nlu_report --cv         # + rasa test nlu --cross-validation -f 3

Runs the engine's `rasa test nlu` in a subprocess (nothing here imports Rasa) and prints
intent and entity (DIETClassifier) precision/recall/F1 and the weakest intents. The
held-out examples below are written apart from nlu/ and are never trained on: realistic
messages (typos, abbreviations, both languages, code-switching) that differ from the
training examples (the script stops if one of them is found in nlu/). `make train` first,
so the model is current. Figures are printed, not asserted: this is a bench, not a test
(cross-validation trains 3 models: about 3 x `make train`'s DIET time).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-engine" / "bin" / "rasa"
MODEL = ROOT / "models" / "pathfinder.tar.gz"

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


def copies_of_training(examples: list[str]) -> list[str]:
    """The held-out examples that are also training examples (they would measure nothing)."""
    trained = training_examples()
    return [example for example in examples if _plain(example) in trained]


def write_held_out(path: Path) -> int:
    lines = ['version: "3.1"', "nlu:"]
    count = 0
    for intent, examples in HELD_OUT.items():
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {example}" for example in examples]
        count += len(examples)
    path.write_text("\n".join(lines) + "\n")
    return count


def rasa_test(args: list[str], out: Path) -> float:
    """Runs `rasa test nlu ARGS` into `out`; returns how long it took (seconds)."""
    started = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    cmd = [str(RASA), "test", "nlu", "--config", "config.yml", "--domain", "domain.yml",
           "--out", str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - started


def summarize(title: str, out: Path, show_errors: bool = False) -> None:
    intents = json.loads((out / "intent_report.json").read_text())
    print(f"\n== {title}")
    weighted = intents["weighted avg"]
    print(f"intents: weighted F1 {weighted['f1-score']:.3f} (precision {weighted['precision']:.3f},"
          f" recall {weighted['recall']:.3f}), accuracy {intents.get('accuracy', 0):.3f},"
          f" {weighted['support']} examples")
    per_intent = {k: v for k, v in intents.items() if isinstance(v, dict) and "avg" not in k}
    weak = sorted(per_intent.items(), key=lambda kv: kv[1]["f1-score"])[:6]
    print("  weakest: " + ", ".join(f"{k} {v['f1-score']:.2f}" for k, v in weak))
    # The report of whichever component extracts our entities (CRFEntityExtractor today).
    for entity_file in sorted(out.glob("*_report.json")):
        # LanguageDetector only adds `language`, which the training data never annotates.
        if entity_file.name.startswith(("intent", "response", "LanguageDetector")):
            continue
        extractor = entity_file.name.removesuffix("_report.json")
        report = json.loads(entity_file.read_text())
        if not any(name in report for name in ("job_title", "target_job", "skill")):
            continue
        for key in ("micro avg", "weighted avg"):
            if key in report:
                r = report[key]
                print(f"entities ({extractor}, {key}): F1 {r['f1-score']:.3f} (precision "
                      f"{r['precision']:.3f}, recall {r['recall']:.3f}), support {r['support']}")
                break
        for name in ("job_title", "target_job", "skill"):
            if name in report:
                r = report[name]
                print(f"  {name}: F1 {r['f1-score']:.2f} (P {r['precision']:.2f},"
                      f" R {r['recall']:.2f}, n={r['support']})")
    errors_file = out / "intent_errors.json"
    if show_errors and errors_file.exists():
        for error in json.loads(errors_file.read_text()):
            predicted = error.get("intent_prediction") or {}
            print(f"  x {error['text']!r}: {error['intent']} -> {predicted.get('name')}"
                  f" ({predicted.get('confidence', 0):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cv", action="store_true", help="also run 3-fold cross-validation")
    args = parser.parse_args()
    if not MODEL.is_file():
        sys.exit(f"{MODEL} is missing: run `make train` first")
    copies = copies_of_training([e for examples in HELD_OUT.values() for e in examples])
    if copies:
        sys.exit(f"held-out examples that are training examples too: {copies}")
    with tempfile.TemporaryDirectory() as tmp:
        held_out = Path(tmp) / "held_out.yml"
        n = write_held_out(held_out)
        took = rasa_test(["--nlu", str(held_out), "--model", str(MODEL)], Path(tmp) / "held_out")
        summarize(f"held-out set ({n} examples, model {MODEL.relative_to(ROOT)}, {took:.0f} s)",
                  Path(tmp) / "held_out", show_errors=True)
        if args.cv:
            took = rasa_test(["--nlu", "nlu", "--cross-validation", "-f", "3"], Path(tmp) / "cv")
            summarize(f"3-fold cross-validation on nlu/ (test folds, {took:.0f} s)",
                      Path(tmp) / "cv")


if __name__ == "__main__":
    main()
