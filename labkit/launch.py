"""The ``resilience-lab`` command: open the welcome lesson in JupyterLab.

Installed by ``pip install -e .``; extra arguments go straight to JupyterLab, e.g.
``resilience-lab --no-browser --port 8899``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The package is installed editable, so the repository (with lessons/) sits beside it.
REPO = Path(__file__).resolve().parent.parent
WELCOME = REPO / "lessons" / "00_welcome.ipynb"


def main(argv: list[str] | None = None) -> int:
    """Start JupyterLab rooted at the repository, with the welcome lesson open."""
    from jupyterlab.labapp import main as lab_main  # deferred: importing labkit stays cheap

    args = [str(WELCOME), f"--ServerApp.root_dir={REPO}"]
    # Jupyter refuses to run as root without this; containers and CI often are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    args += sys.argv[1:] if argv is None else argv
    return lab_main(args) or 0


if __name__ == "__main__":
    sys.exit(main())
