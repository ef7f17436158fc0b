"""Reporting sources in (text, Markdown, HTML, PDF; files, folders, bytes, pasted text),
documents with character offsets and context lines out; the bundled demo source."""
