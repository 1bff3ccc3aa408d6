"""Plain-language wage, outlook and program text: figures from the database only, region and
source named (in the reply's language), short and readable (EN grade <= 8, FR reading ease
>= 60, a name counted as one word: knowledge.explainer.measured_text), in both languages."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints, parse_constraints
from knowledge.explainer import (
    explain_current_wage,
    explain_labour_market,
    explain_no_outlook,
    explain_no_results,
    explain_no_wage,
    explain_outlook,
    explain_outlook_data,
    explain_program,
    explain_wage,
    explain_wage_data,
    measured_text,
    readability,
    readability_ok,
    source_name,
)
from knowledge.language import Lang
from knowledge.occupations import OutlookSummary, WageRange, outlook_for, wage_for
from knowledge.payload import recommendations_payload
from knowledge.recommender import recommend

pytestmark = pytest.mark.both_backends  # the tests that use `db`: on SQLite and PostgreSQL

NUMBER = re.compile(r"\d[\d,.\u00a0]*\d|\d")


def numbers_in(text: str) -> set[str]:
    """Every number in a text, thousands separators removed, decimal comma made a point."""
    found = set()
    for raw in NUMBER.findall(text):
        plain = raw.replace("\u00a0", "").rstrip(".,")
        plain = plain.replace(",", "") if re.search(r",\d{3}(?!\d)", plain) else \
            plain.replace(",", ".")
        found.add(plain)
    return found


def allowed_numbers(*values: object) -> set[str]:
    allowed: set[str] = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, Decimal | float | int):
            allowed |= {f"{float(value):.2f}", str(value), f"{float(value):g}"}
        else:
            allowed |= numbers_in(str(value))
    return allowed


def occupations_with_wages(db: Session, count: int) -> list[models.Occupation]:
    nocs = list(db.scalars(select(models.Wage.noc).distinct().order_by(models.Wage.noc)))
    step = max(1, len(nocs) // count)
    chosen = nocs[::step][:count]
    return [o for o in (db.get(models.Occupation, n) for n in chosen) if o is not None]


def title(occupation: models.Occupation, lang: str) -> str:
    return occupation.title_fr if lang == "fr" else occupation.title_en


def test_wage_text_shows_the_database_figures(db: Session) -> None:
    for occupation in occupations_with_wages(db, 25):
        wage = wage_for(db, occupation.noc, "ER35")
        assert wage is not None
        stored = db.scalars(select(models.Wage).where(
            models.Wage.noc == occupation.noc, models.Wage.region_code == wage.region_code,
            models.Wage.year == wage.year)).one()
        en = explain_wage(wage, occupation.title_en, "en")
        fr = explain_wage(wage, occupation.title_fr, "fr")
        assert f"more than ${stored.median:,.2f} an hour" in en
        if stored.low is not None and stored.high is not None:
            if stored.low != stored.high:  # Job Bank's 10th and 90th percentiles
                assert f"Most earn between ${stored.low:,.2f} and ${stored.high:,.2f}." in en
            low_fr = f"{stored.low:,.2f}".replace(",", "\u00a0").replace(".", ",") + "\u00a0$"
            assert low_fr in fr  # French typography: 17,50 $
        assert en.endswith(f"Source: Job Bank, ESDC, {wage.year}.")
        assert fr.endswith(f"Source : Guichet-Emplois, EDSC, {wage.year}.")
        assert occupation.title_en in re.sub(r" / ", "/", en)  # gender pairs may be spaced
        assert len(en.split(". ")) <= 5  # a few short sentences


def test_every_number_comes_from_the_arguments(db: Session) -> None:
    for occupation in occupations_with_wages(db, 40):
        for lang in ("en", "fr"):
            wage = wage_for(db, occupation.noc, "ER3590")
            assert wage is not None
            text = explain_wage(wage, title(occupation, lang), lang)
            allowed = allowed_numbers(wage.low, wage.median, wage.high, wage.year, wage.source,
                                      title(occupation, lang))
            assert numbers_in(text) <= allowed, (occupation.noc, lang, text)
            outlook = outlook_for(db, occupation.noc)
            if outlook is None:
                continue
            text = explain_outlook(outlook, title(occupation, lang), lang)
            allowed = allowed_numbers(outlook.period, outlook.source, outlook.job_openings,
                                      outlook.job_seekers, title(occupation, lang))
            assert numbers_in(text) <= allowed, (occupation.noc, lang, text)


def test_region_fallback_is_said(db: Session) -> None:
    regional = select(models.Wage.noc).where(models.Wage.region_code == "ER3580")
    noc = db.scalars(select(models.Wage.noc).where(
        models.Wage.region_code == "ER35", models.Wage.median.is_not(None),
        models.Wage.noc.not_in(regional)).order_by(models.Wage.noc)).first()
    assert noc is not None
    wage = wage_for(db, noc, "ER3580")
    assert wage is not None and wage.is_fallback and wage.region_code == "ER35"
    en = explain_wage(wage, "Test workers", "en")
    fr = explain_wage(wage, "Travailleurs", "fr")
    assert "no figure for the Stratford–Bruce Peninsula region, so these are for Ontario" in en
    assert "for Ontario" in en and "In Ontario, half earn" in en
    assert "pas de chiffre pour la région de Stratford" in fr and "pour l'Ontario" in fr
    regional_wage = wage_for(db, noc, "ER35")
    assert regional_wage is not None and "no figure" not in explain_wage(regional_wage, "X", "en")


def test_readability_across_many_occupations(db: Session) -> None:
    """Measured as the conversations are (tests/e2e/test_readability.py): the occupation's
    title, a name from NOC that no reply can reword, counts as one word."""
    checked = 0
    worst = {"en": 0.0, "fr": 100.0}
    for occupation in occupations_with_wages(db, 50):
        for lang in ("en", "fr"):
            texts = []
            name = title(occupation, lang)
            wage = wage_for(db, occupation.noc, "ER3530")
            outlook = outlook_for(db, occupation.noc)
            if wage is not None:
                texts.append(explain_wage(wage, name, lang))
                texts.append(explain_current_wage(wage, name, lang))
            if outlook is not None:
                texts.append(explain_outlook(outlook, name, lang))
            texts.append(explain_labour_market(wage, outlook, name, lang) or "")
            for said in texts:
                text = measured_text(said, lang, [name])
                assert readability_ok(text, lang), (occupation.noc, lang, readability(text, lang),
                                                    said)
                score = readability(text, lang)
                worst[lang] = max(worst[lang], score) if lang == "en" else min(worst[lang],
                                                                               score)
                checked += 1
    assert checked >= 350
    assert worst["en"] <= 8 and worst["fr"] >= 60


def test_outlook_says_what_the_rating_means_for_the_period_and_canada(db: Session) -> None:
    ratings = db.scalars(select(models.Outlook.rating).distinct()).all()
    meanings = set()
    for rating in ratings:
        stored = db.scalars(select(models.Outlook).where(models.Outlook.rating == rating)
                                 .order_by(models.Outlook.noc)).first()
        assert stored is not None
        outlook = outlook_for(db, stored.noc)
        assert outlook is not None
        en = explain_outlook(outlook, "Cooks", "en")
        fr = explain_outlook(outlook, "Cuisiniers", "fr")
        assert stored.label_en in en and stored.label_fr in fr
        first, last = stored.period.split("-")
        assert f"in Canada, from {first} to {last}" in en
        assert f"au Canada, de {first} à {last}" in fr
        assert en.endswith("Source: Canadian Occupational Projection System (COPS), ESDC.")
        assert fr.endswith("Source : Système de projection des professions au Canada (SPPC), "
                           "EDSC.")
        meanings.add(en.split('". ')[1].split(".")[0])
        assert "Cooks" in en and "« Cuisiniers »" in fr
        unnamed = explain_outlook(outlook, None, "en")
        assert unnamed.startswith("Job outlook in Canada") and "Cooks" not in unnamed
    assert len(meanings) == len(ratings)  # each rating explained differently


def test_outlook_without_counts_still_reads_well() -> None:
    outlook = OutlookSummary("balance", "Balance", "À équilibre", "2024-2033", "ER00", "Canada",
                             "ESDC, COPS", None, None, None)
    text = explain_outlook(outlook, "Cooks", "en")
    assert "jobs to open" not in text and readability_ok(text, "en")


def test_wage_with_missing_low_and_high() -> None:
    wage = WageRange(None, Decimal("21.40"), None, "hour", "ER35", "Ontario", 2024, "Job Bank",
                     requested_region="ER35")
    text = explain_wage(wage, "Cooks", "en")
    assert "$21.40" in text and "between" not in text and "None" not in text
    assert "21,40\u00a0$" in explain_wage(wage, "Cuisiniers", "fr")


def test_program_line_and_no_results(db: Session) -> None:
    recs = recommend(db, target_noc="63200", current_noc=None, goal=None,
                     constraints=Constraints(), lang="fr")
    match = recs.programs[0]
    line = explain_program(match, "fr")
    assert match.title in line and match.institution in line
    # The skill the job needs most; the list's first sentence names the job, not each line.
    taught = line.split(". ")[-1]
    assert taught.startswith("Il enseigne : ") and match.matched_skills[0][1:] in taught
    assert "métier" not in taught
    assert ("gratuit" in line) if match.cost == 0 else ("\u00a0$" in line)
    english = recommend(db, target_noc="63200", current_noc=None, goal=None,
                        constraints=Constraints(), lang="en").programs[0]
    assert english.matched_skills[0][1:] in explain_program(english, "en")
    assert len(explain_program(english, "en").split()) <= len(english.title.split()) + \
        len(english.institution.split()) + 25

    c = parse_constraints("in person in Stratford, under $100, OSAP")
    empty = recommend(db, target_noc="63200", current_noc=None, goal=None, constraints=c,
                      lang="en")
    assert empty.programs == () and empty.blocked_by
    text = explain_no_results(empty, c, "en")
    assert "$100 or less" in text and "closest ones" in text
    fr = explain_no_results(empty, c, "fr")
    assert "100\u00a0$ ou moins" in fr
    nothing = recommend(db, target_noc="99999", current_noc=None, goal=None,
                        constraints=Constraints(), lang="en")
    assert "browse programs by sector" in explain_no_results(nothing, Constraints(), "en")


def test_each_closest_program_says_which_limits_it_breaks(db: Session) -> None:
    c = parse_constraints("in person in Stratford, under $100, OSAP")
    empty = recommend(db, target_noc="63200", current_noc=None, goal=None, constraints=c,
                      lang="en")
    assert empty.programs == () and empty.alternatives
    for closest in empty.alternatives:
        program = db.get(models.Program, closest.id)
        assert program is not None and closest.breaks
        # What it breaks is true of the program: within the budget means no "budget".
        assert ("max_cost" in closest.breaks) == (program.cost > 100)
        assert ("financial_aid" in closest.breaks) == (not program.osap_eligible)
        line = explain_program(closest, "en")
        assert "Outside your limits:" in line
        assert ("the budget" in line) == ("max_cost" in closest.breaks)
        assert "Hors de vos limites : " in explain_program(closest, "fr")
        card = recommendations_payload(lang="en", occupation=None, target_occupation=None,
                                       programs=[], wage=None, outlook=None,
                                       alternatives=[closest])["alternatives"][0]
        assert card["breaks"] == list(closest.breaks)
    shown = recommend(db, target_noc="63200", current_noc=None, goal=None,
                      constraints=Constraints(), lang="en").programs
    assert shown and all(not m.breaks and "Outside" not in explain_program(m, "en")
                         for m in shown)


def test_readability_check_and_textstat_state() -> None:
    assert readability_ok("Half of cooks earn more than $17.50 an hour.", "en")
    import textstat  # its module-level object keeps its own language: we must not change it

    hard = ("Notwithstanding the aforementioned considerations, institutional "
            "heterogeneity necessitates comprehensive interdisciplinary reconceptualization.")
    before = textstat.flesch_kincaid_grade(hard)
    assert readability_ok("Half of cooks earn more than $17.50 an hour.", "en")
    assert not readability_ok(hard, "en")
    assert readability_ok("La moitié des cuisiniers gagnent plus de 17,50 $ de l'heure.", "fr")
    assert not readability_ok("Nonobstant l'hétérogénéité institutionnelle, la "
                              "reconceptualisation interdisciplinaire s'avère indispensable.",
                              "fr")
    assert textstat.flesch_kincaid_grade(hard) == before
    assert readability_ok("", "en") and readability_ok("   ", "fr")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_missing_figures_are_said_plainly_without_a_number(lang: Lang) -> None:
    title = "Cooks" if lang == "en" else "Cuisiniers / cuisinières"
    for text in (explain_no_wage(title, lang), explain_no_outlook(title, lang)):
        assert title in text and not re.search(r"\d", text)
        assert readability_ok(text, lang), (text, readability(text, lang))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sources_are_named_in_the_replys_language(db: Session, lang: Lang) -> None:
    """The knowledge base names its datasets in English; a French reply names them in
    French (Guichet-Emplois, Système de projection des professions au Canada, EDSC)."""
    wage = wage_for(db, "63200", "ER35")
    outlook = outlook_for(db, "63200")
    assert wage is not None and outlook is not None
    assert "Employment and Social Development Canada" in wage.source  # as stored
    named = {source_name(wage.source, lang), source_name(outlook.source, lang)}
    if lang == "fr":
        assert named == {"Guichet-Emplois, EDSC",
                         "Système de projection des professions au Canada (SPPC), EDSC"}
    else:
        assert named == {"Job Bank, ESDC", "Canadian Occupational Projection System (COPS), ESDC"}
    for name in named:  # a name given is given back (a payload's source, named again)
        assert source_name(name, lang) == name
    assert source_name("Statistics Canada, Labour Force Survey", lang) == \
        "Statistics Canada, Labour Force Survey"  # unknown: as given
    said = explain_labour_market(wage, outlook, "Cooks", lang) or ""
    english = ("Job Bank", "Employment and Social Development", "COPS", "ESDC", "Canadian")
    assert not any(word in said for word in english) if lang == "fr" else \
        "Guichet" not in said


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_payloads_figures_read_as_the_knowledge_bases(db: Session, lang: Lang) -> None:
    """Telegram says a recommendations payload's wage and outlook (knowledge.payload) in the
    same words as the text channels get from the knowledge base."""
    checked = 0
    for occupation in occupations_with_wages(db, 30):
        name = title(occupation, lang)
        wage = wage_for(db, occupation.noc, "ER3510")
        outlook = outlook_for(db, occupation.noc)
        payload = recommendations_payload(lang=lang, occupation=None,
                                          target_occupation=(occupation.noc, name),
                                          programs=[], wage=wage, outlook=outlook)
        if wage is not None and not wage.is_fallback:  # a payload does not say it fell back
            assert explain_wage_data(payload["wage"], name, lang) == \
                explain_wage(wage, name, lang)
            checked += 1
        if outlook is not None:
            for named in (name, None):
                assert explain_outlook_data(payload["outlook"], named, lang) == \
                    explain_outlook(outlook, named, lang)
    assert checked >= 5


def test_a_list_says_the_wage_and_outlook_once(db: Session) -> None:
    wage, outlook = wage_for(db, "63200", "ER35"), outlook_for(db, "63200")
    assert wage is not None and outlook is not None
    said = explain_labour_market(wage, outlook, "Cooks", "en")
    assert said is not None and "\n\n" not in said  # one message (Rasa cuts at blank lines)
    assert said.count("Cooks") == 1 and outlook.label_en in said and f"{wage.median}" in said
    # A client that shows the payload's wage and outlook gets neither again.
    assert explain_labour_market(wage, outlook, "Cooks", "en", in_payload=True) is None
    # What the payload lacks is said: no figure is ever made up.
    missing = explain_labour_market(None, outlook, "Cooks", "en", in_payload=True)
    assert missing == explain_no_wage("Cooks", "en")
    both = explain_labour_market(None, None, "Cuisiniers", "fr")
    assert both == explain_no_wage("Cuisiniers", "fr") + "\n" + \
        explain_no_outlook("Cuisiniers", "fr")


def test_a_career_changer_compares_with_their_job_now(db: Session) -> None:
    wage = wage_for(db, "65100", "ER35")
    assert wage is not None and wage.median is not None
    en = explain_current_wage(wage, "Cashiers", "en")
    assert en.startswith("To compare, your job now: Cashiers. In Ontario, half earn more than")
    assert f"${wage.median:,.2f} an hour" in en and str(wage.year) in en
    assert money_in(en) == {wage.median}  # the median only
    fr = explain_current_wage(wage, "Caissiers / caissières", "fr")
    assert fr.startswith("Pour comparer") and "Guichet-Emplois" in fr
    assert explain_current_wage(None, "Cashiers", "en") == explain_no_wage("Cashiers", "en")


def money_in(text: str) -> set[Decimal]:
    return {Decimal(m.replace(",", "")) for m in re.findall(r"\$([\d,]+\.\d{2})", text)}


def test_the_same_figure_for_low_and_high_is_said_once() -> None:
    wage = WageRange(Decimal("17.20"), Decimal("17.20"), Decimal("17.20"), "hour", "ER35",
                     "Ontario", 2024, "Job Bank", requested_region="ER35")
    text = explain_wage(wage, "Cashiers", "en")
    assert "Most earn $17.20." in text and "between" not in text
    assert "La plupart gagnent 17,20\u00a0$." in explain_wage(wage, "Caissiers", "fr")


def test_names_count_as_one_word_and_links_are_left_out() -> None:
    said = ("It teaches medical office administration, which nurse aides, orderlies and "
            "patient service associates use. https://www.example.ca/ce/ohip-billing-2024")
    names = ["Nurse aides, orderlies and patient service associates",
             "Medical Office Administration"]  # a program's title: matched as written only
    assert measured_text(said, "en", names) == \
        "It teaches medical office administration, which Name use. "
    assert measured_text("« Aides-infirmiers / aides-infirmières »", "fr",
                         ["Aides-infirmiers/aides-infirmières"]) == "« Nom »"
    assert measured_text("No names here.", "en") == "No names here."
