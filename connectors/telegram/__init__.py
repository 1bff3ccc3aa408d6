"""Pathfinder's Telegram connector (python-telegram-bot 22): a process of its own that relays
between Telegram chats and the Rasa engine.

Why Rasa's REST channel, not a custom Rasa input channel or Rasa's own ``telegram`` channel:

- Same channel and tracker as the web: each chat is the Rasa conversation
  ``telegram-<chat_id>``, stored in the same SQL tracker store and answered by the same
  ``PathfinderRestInput`` (bot/engine/channels.py) as the chat page, so the conversation,
  the language slot and the referral data are the same whatever the channel.
- No code on the engine's side: the engine runs Python 3.10 with its own pinned packages
  (Rasa's telegram channel needs aiogram < 2.26, see RASA_NOTES); this connector runs in the
  app environment (3.11) and meets Rasa over HTTP only, like the actions server.
- Our REST channel already answers politely when a turn times out or the actions server is
  down, so the connector only has to handle the engine itself being unreachable.
- Testable: python-telegram-bot takes a custom Bot API base URL, so tests run it against a
  local fake Bot API (tests/fake_telegram.py) and the real engine.

Modules: ``settings`` (environment), ``rasa`` (REST client), ``render`` (replies -> HTML
messages, keyboards, splitting), ``delivery`` (retries, per-chat outbox), ``bot`` (the
handlers), ``server`` (``/health`` and the webhook), ``service`` (the command line).

Run: ``python -m connectors.telegram --mode polling|webhook --rasa-url URL [--port N]``.
"""
