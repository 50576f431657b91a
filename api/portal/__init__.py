"""The citizen portal at `/`: server-rendered GOV.UK pages where a citizen signs in, reports a
life event through a form built from its schema, follows the case live, answers what a step
asks, and sees their cases, profile and every share of their data. Every page is a client of
the JSON API (`citizen_api.py`), so the portal and a citizen's own app cannot disagree."""
