"""`python -m svg_agent COMMAND ...` (and `accelerate launch -m svg_agent train ...`): the command line."""

import sys

from svg_agent.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
