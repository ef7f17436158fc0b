"""`python -m bot` is the same as the `chorus` console script."""

from bot.cli import main

raise SystemExit(main())
