"""The ``resilience-lab`` command: open the welcome lesson in JupyterLab.

Installed by ``pip install -e .``; extra arguments go straight to JupyterLab, e.g.
``resilience-lab --no-browser --port 8899``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

# The package is installed editable, so the repository (with lessons/) sits beside it.
REPO = Path(__file__).resolve().parent.parent
WELCOME = REPO / "lessons" / "00_welcome.ipynb"
# JupyterLab opens a document given in the URL as /lab/tree/<path from the root_dir>.
WELCOME_URL = "/lab/tree/" + quote(WELCOME.relative_to(REPO).as_posix())


def lab_arguments(argv: list[str]) -> list[str]:
    """JupyterLab's command line: rooted at the repository, landing on the welcome lesson."""
    args = [
        f"--ServerApp.root_dir={REPO}",
        # The URL the server prints, and the browser opens, is the default_url (plus the
        # token). JupyterLab pushes its own default_url ("/lab", the last workspace) onto the
        # server, so it has to be set on LabApp: --ServerApp.default_url would be overridden.
        f"--LabApp.default_url={WELCOME_URL}",
    ]
    # Jupyter refuses to run as root without this; containers and CI often are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return args + list(argv)  # last, so a learner's own options win


def main(argv: list[str] | None = None) -> int:
    """Start JupyterLab rooted at the repository, with the welcome lesson open."""
    from jupyterlab.labapp import main as lab_main  # deferred: importing labkit stays cheap

    return lab_main(lab_arguments(sys.argv[1:] if argv is None else argv)) or 0


if __name__ == "__main__":
    sys.exit(main())
