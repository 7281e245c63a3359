"""``python -m vecnn``: the same as the ``vecnn`` command."""

from vecnn.cli import main

raise SystemExit(main())
