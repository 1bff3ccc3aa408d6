"""Pathfinder's Rasa actions server (rasa-sdk): thin adapters between the dialogue and the
knowledge/ library. Run from the repo root:

    .venv/bin/python -m actions.server --actions actions -p 5055

One module per concern: occupation (reading the jobs for action_resolve_job),
recommendations (action_resolve_job, action_recommend, action_show_cheaper,
action_describe_programs, action_search_by_skill), labour_market (action_explain_wage,
action_explain_outlook), employer (the skill and sector searches), conversation
(action_set_language, action_start_over); context holds what they share.
The knowledge base is PATHFINDER_DATABASE_URL (default var/pathfinder.sqlite).
"""

from actions.context import warm_up

# rasa_sdk imports this package first: build the occupation index now, not on the first user.
warm_up()
