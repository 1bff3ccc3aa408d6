"""The staff console: server-rendered pages under ``/console`` for staff who review
conversations (from Rasa's tracker store), flag and annotate turns, export user messages as
NLU training data, and follow the analytics (conversations, recommendations, referrals).

Everything but the login page and its stylesheet needs a logged-in staff account
(``pathfinder staff add EMAIL``). Mounted by bot/api/app.py with ``router``.
"""

from bot.console.routes import router

__all__ = ["router"]
