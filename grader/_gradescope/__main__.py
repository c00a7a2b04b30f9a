"""``python -m grader._gradescope --lab LAB``: what Gradescope's ``run_autograder`` runs."""

import sys

from .run import main

sys.exit(main())
