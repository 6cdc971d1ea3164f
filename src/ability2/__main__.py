"""``python -m ability2``: the command line."""

import sys

from ability2.cli import main

if __name__ == "__main__":
    sys.exit(main())
