"""Discord extensions, one per feature; each command parses, checks, calls the Assistant, renders.

Modules whose names start with an underscore are helpers, not extensions.
"""
