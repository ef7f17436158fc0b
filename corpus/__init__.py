"""Loaders and normalisers: reporting documents and post datasets in, typed records out.

Three families: `corpus.posts` (post datasets and their images), `corpus.reporting`
(reporting documents and the demo source) and `corpus.web` (safe URL fetching for both).
This layer imports nothing else from the project but `common` (see tests/test_layers.py).
"""
