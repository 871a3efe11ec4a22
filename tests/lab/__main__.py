"""Entry point: `python -m tests.lab ...` from the repository root."""

import sys

from .cli import main

sys.exit(main())
