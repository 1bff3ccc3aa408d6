"""``/employers``: a server-rendered search of programs by skill, each program's page with its
institution's contact and an "ask the institution" form. Plain HTML forms: no JavaScript, no
external assets; Jinja2 escapes every value.

The inquiry form is protected by a double-submit token (bot/api/forms.py, as the staff
console's login): the program page sets a random token in a ``SameSite=Strict`` cookie and in a
hidden field, and the post must carry both, equal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.api.client_address import limit_key
from bot.api.deps import SessionDep
from bot.api.forms import cookie_token, double_submitted, field, read_form, set_cookie
from bot.api.routers.inquiries import inquiry_limiter
from knowledge.constraints import format_money, format_number
from knowledge.employer_search import (
    MAX_QUERY_CHARS,
    catalog_is_sample,
    program_card,
    search_programs,
)
from knowledge.inquiries import (
    MAX_EMAIL_CHARS,
    MAX_NAME_CHARS,
    MAX_QUESTION_CHARS,
    InvalidInquiry,
    UnknownProgram,
    create_inquiry,
)
from knowledge.language import Lang, as_lang
from knowledge.vocabulary import Kind, phrase

router = APIRouter(prefix="/employers", tags=["employer pages"], include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
# Costs and lengths as the chat writes them: $1,250 / 1 250 $, 7.5 / 7,5 (catalog costs are CAD).
templates.env.filters["money"] = format_money
templates.env.filters["number"] = format_number


def _phrase(code: str, kind: Kind, lang: str) -> str:
    """A vocabulary code as the chat writes it: ``{{ p.delivery|phrase("delivery", lang) }}``
    is "in person" / "en personne"."""
    return phrase(kind, code, as_lang(lang))


templates.env.filters["phrase"] = _phrase

CSRF_COOKIE = "pf_inquiry_csrf"
MAX_FORM_BYTES = 20_000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Every word of the employer pages, per language (the templates hold none; see "Where words
# live" in the README). Program facts and contact notes come with the data (knowledge/).
TEXTS: dict[Lang, dict[str, Any]] = {
    "en": {
        "title": "Find programs by skill", "other_lang": "Français",
        "sample_notice": "SAMPLE catalog: these programs are not real listings. Institutions "
                         "and their websites are real.",
        "skill_label": "Skill your staff need", "skill_placeholder": "welding, Excel, CNC…",
        "search": "Search", "read_as": "Programs teaching",
        "count": "{n} program(s)", "skills": "Skills", "contact": "Contact",
        "ask": "Ask the institution", "no_skill": "No skill of the catalog matches those "
        "words. Try another word, e.g. 'welding', 'bookkeeping' or 'forklift'.",
        "api_hint": "The same search as JSON:", "weeks": "weeks",
        "program_page": "Program page (institution website)",
        "name": "Your name", "email": "Your e-mail (for the answer)", "question": "Question",
        "send": "Send", "sent": "Thank you: your question was stored for the institution.",
        "privacy": "Your name, e-mail and question are stored for the institution and "
                   "counted (without your details) in usage figures.",
        "back": "Back to the search",
        "empty_query": "Type a skill: letters or digits.",
        "too_long": "{limit} characters at most.",
        "csrf": "This form has expired. Open the program page again and resend.",
        "rate": "Too many questions from your address: please wait a few minutes.",
        "not_found": "There is no such program in the catalog.",
        "field_problem": "{field}: {problem}",
        "problems": {"required": "required", "too_short": "at least {limit} characters",
                     "too_long": "at most {limit} characters",
                     "not_email": "not an e-mail address (like name@example.org)",
                     "control_chars": "contains control characters"},
    },
    "fr": {
        "title": "Trouver des programmes par compétence", "other_lang": "English",
        "sample_notice": "Catalogue d'EXEMPLE : ces programmes ne sont pas de vraies offres. "
                         "Les établissements et leurs sites sont réels.",
        "skill_label": "Compétence recherchée", "skill_placeholder": "soudure, Excel, CNC…",
        "search": "Chercher", "read_as": "Programmes qui enseignent",
        "count": "{n} programme(s)", "skills": "Compétences", "contact": "Contact",
        "ask": "Écrire à l'établissement", "no_skill": "Aucune compétence du catalogue ne "
        "correspond. Essayez un autre mot, p. ex. « soudure », « comptabilité » ou « chariot "
        "élévateur ».",
        "api_hint": "La même recherche en JSON :", "weeks": "semaines",
        "program_page": "Page du programme (site de l'établissement)",
        "name": "Votre nom", "email": "Votre courriel (pour la réponse)",
        "question": "Question", "send": "Envoyer",
        "sent": "Merci : votre question a été enregistrée pour l'établissement.",
        "privacy": "Votre nom, votre courriel et votre question sont conservés pour "
                   "l'établissement et comptés (sans vos coordonnées) dans les statistiques.",
        "back": "Retour à la recherche",
        "empty_query": "Tapez une compétence : des lettres ou des chiffres.",
        "too_long": "{limit} caractères au plus.",
        "csrf": "Ce formulaire a expiré. Rouvrez la page du programme et renvoyez.",
        "rate": "Trop de questions depuis votre adresse : attendez quelques minutes.",
        "not_found": "Ce programme n'est pas au catalogue.",
        "field_problem": "{field} : {problem}",
        "problems": {"required": "obligatoire", "too_short": "au moins {limit} caractères",
                     "too_long": "au plus {limit} caractères",
                     "not_email": "pas une adresse courriel (comme nom@exemple.org)",
                     "control_chars": "contient des caractères de contrôle"},
    },
}


def _render(request: Request, name: str, lang: Lang, context: dict[str, Any],
            status_code: int = 200) -> HTMLResponse:
    other = "fr" if lang == "en" else "en"
    params = {k: v for k, v in request.query_params.items() if k not in ("lang", "sent")}
    response = templates.TemplateResponse(request, name, {
        "lang": lang, "t": TEXTS[lang], "other_lang": other,
        "other_lang_query": urlencode({**params, "lang": other}), **context,
    }, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("", response_class=HTMLResponse, summary="Search programs by skill (page)")
def search_page(
    request: Request,
    session: SessionDep,
    skill: Annotated[str, Query(max_length=10_000)] = "",
    lang: Lang = "en",
) -> HTMLResponse:
    error = None
    found = None
    searched = bool(skill)
    if len(skill) > MAX_QUERY_CHARS:
        error = TEXTS[lang]["too_long"].format(limit=MAX_QUERY_CHARS)
    elif searched and not any(ch.isalnum() for ch in skill):
        error = TEXTS[lang]["empty_query"]
    elif searched:
        found = search_programs(session, skill, lang)
    return _render(request, "employers/search.html", lang, {
        "query": skill[:MAX_QUERY_CHARS], "searched": searched, "error": error,
        "skills": found.skills if found else (), "programs": found.programs if found else (),
        "max_query": MAX_QUERY_CHARS, "sample": catalog_is_sample(session),
    }, status_code=400 if error else 200)


def _program_page(request: Request, session: SessionDep, program_id: str, lang: Lang,
                  form: dict[str, str] | None = None, error: str | None = None,
                  sent: bool = False, status_code: int = 200) -> HTMLResponse:
    card = program_card(session, program_id, lang)
    if card is None:
        return _render(request, "employers/problem.html", lang, {
            "heading": "404", "error": TEXTS[lang]["not_found"], "sample": False}, 404)
    token = cookie_token(request, CSRF_COOKIE)
    response = _render(request, "employers/program.html", lang, {
        "p": card, "csrf_token": token, "sent": sent, "error": error,
        "form": form or {"name": "", "email": "", "question": ""},
        "limits": {"name": MAX_NAME_CHARS, "email": MAX_EMAIL_CHARS,
                   "question": MAX_QUESTION_CHARS},
        "sample": card.is_sample}, status_code)
    set_cookie(request, response, CSRF_COOKIE, token, path="/employers")
    return response


@router.get("/programs/{program_id}", response_class=HTMLResponse,
            summary="A program, its institution's contact and the inquiry form (page)")
def program_page(request: Request, session: SessionDep, program_id: str, lang: Lang = "en",
                 sent: bool = False) -> HTMLResponse:
    return _program_page(request, session, program_id, lang, sent=sent)


@router.post("/programs/{program_id}/inquiry", summary="Send the inquiry form")
async def post_inquiry_form(request: Request, session: SessionDep, program_id: str,
                            lang: Lang = "en") -> Response:
    texts = TEXTS[lang]
    posted = await read_form(request, MAX_FORM_BYTES, max_fields=10)
    fields = {k: field(posted, k) for k in ("name", "email", "question")}
    # What is shown back in the form on an error (create_inquiry checks the real limits).
    form = {k: v[:MAX_QUESTION_CHARS] for k, v in fields.items()}
    if not double_submitted(request, CSRF_COOKIE, field(posted, "csrf_token")):
        return _program_page(request, session, program_id, lang, form, texts["csrf"],
                             status_code=403)
    if not inquiry_limiter(request).allow(limit_key(request)):
        return _program_page(request, session, program_id, lang, form, texts["rate"],
                             status_code=429)
    try:
        create_inquiry(session, program_id, fields["name"], fields["email"],
                       fields["question"], source="form")
    except UnknownProgram:
        return _program_page(request, session, program_id, lang, status_code=404)
    except InvalidInquiry as exc:
        labels = {"name": texts["name"], "email": texts["email"], "question": texts["question"]}
        problem = texts["problems"].get(exc.problem, exc.reason).format(limit=exc.limit)
        error = texts["field_problem"].format(field=labels.get(exc.field, exc.field),
                                              problem=problem)
        return _program_page(request, session, program_id, lang, form, error,
                             status_code=400)
    # Post/redirect/get: a reload does not send the question twice.
    return RedirectResponse(f"/employers/programs/{program_id}?lang={lang}&sent=true#ask",
                            status_code=303)
