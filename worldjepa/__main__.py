"""``python -m worldjepa`` is the CLI (``torchrun ... -m worldjepa train ...`` launches ranks)."""

import sys

from worldjepa.cli import main

sys.exit(main())
