"""Trainer console: NLU and copy editing, review inbox, train -> evaluate -> activate.

`routes.add_routes(app)` wires the API under /api/trainer/ and the page at /trainer/.
"""
