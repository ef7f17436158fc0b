"""Prompt templates and fixed phrases, as data. Imports nothing from the project."""
