"""``python -m srzoo`` runs the command line."""

import sys

from srzoo.cli import main

sys.exit(main())
