"""``python -m duban``: the ``duban`` command without the console script."""

import sys

from duban.cli import main

sys.exit(main())
