"""Loaders and normalisers: reporting documents and post datasets in, typed records out.

This layer imports nothing else from the project (see DESIGN.md, "Layers").
"""
