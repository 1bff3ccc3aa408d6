"""What the connector itself says (everything else comes from Rasa), in English and French:
its chrome (commands, button captions, headings) and its own replies when Rasa cannot give
one. See "Where words live" in the README."""

from __future__ import annotations

from knowledge.language import Lang

TEXTS: dict[str, dict[Lang, str]] = {
    "rasa_down": {
        "en": "Sorry, I cannot answer right now. Please try again in a few minutes.",
        "fr": "Désolé, je ne peux pas répondre pour le moment. Veuillez réessayer dans "
              "quelques minutes.",
    },
    "button_expired": {
        "en": "That button has expired. Please type your answer instead.",
        "fr": "Ce bouton n'est plus valide. Veuillez écrire votre réponse.",
    },
    "text_only": {
        "en": "I can only read text messages. Please type your question.",
        "fr": "Je ne peux lire que des messages texte. Veuillez écrire votre question.",
    },
    "commands": {
        "en": "Commands: /start to begin, /lang to switch to French, /reset to start over, "
              "/help for this message.",
        "fr": "Commandes : /start pour commencer, /lang pour passer à l'anglais, /reset pour "
              "recommencer, /help pour ce message.",
    },
    "view_program": {"en": "View the program", "fr": "Voir la formation"},
    "programs_heading": {"en": "Programs for you", "fr": "Formations pour vous"},
}

# Shown in Telegram's command menu (setMyCommands), per interface language.
COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "en": [("start", "Start a conversation"), ("help", "What I can do"),
           ("lang", "Switch between English and French"), ("reset", "Start over")],
    "fr": [("start", "Commencer une conversation"), ("help", "Ce que je peux faire"),
           ("lang", "Passer du français à l'anglais"), ("reset", "Recommencer")],
}


def text(key: str, lang: Lang) -> str:
    return TEXTS[key][lang]
