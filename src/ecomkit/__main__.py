"""``python -m ecomkit`` runs the command line."""

from ecomkit.cli import main

raise SystemExit(main())
