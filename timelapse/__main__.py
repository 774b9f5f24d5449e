"""Allow ``python3 -m timelapse``."""

import sys

from timelapse.cli import main

sys.exit(main())
