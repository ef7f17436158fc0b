"""Front ends: the Assistant façade, the CLI and console, and the Discord bot."""
