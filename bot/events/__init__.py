"""The events consumer: keeps the staff console's conversation summaries and analytics counts
(knowledge.models.ConversationSummary, ConversationCount) up to date from Rasa's events.

- :mod:`bot.events.summary`: the summariser, one pure function over a conversation's events
  (``apply``) and what a summary adds to the analytics (``contribution``);
- :mod:`bot.events.consumer`: the feeds that give it events (Rasa's tracker store read by
  event id from a stored position; RabbitMQ, Rasa's Pika event broker) and the one way both
  write (``write_batch``). ``pathfinder events consume`` runs it; ``pathfinder run`` too.
"""
