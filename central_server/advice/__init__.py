"""Personalised advice (个性化提示) for the citizen's overview: the rules (`rules.py`), what they are told
about a citizen (`profile.py`) and the endpoint (`routes.py`). docs/advice.md describes each rule."""
