"""Checks what pip cannot install: the Python version and the system libraries WeasyPrint loads.

Standard library only, so it runs before the virtual environment exists. Exit 1 with the package
to install, never a traceback.
"""

import ctypes.util
import platform
import sys

LIBRARIES = {
    # library name for ctypes: (what it is, Debian/Ubuntu package, Homebrew formula)
    "pango-1.0": ("Pango (text layout for PDF records)", "libpango-1.0-0", "pango"),
    "pangoft2-1.0": ("PangoFT2", "libpangoft2-1.0-0", "pango"),
    "harfbuzz": ("HarfBuzz (text shaping)", "libharfbuzz0b", "harfbuzz"),
}


def main() -> int:
    problems = []
    if sys.version_info < (3, 11):  # noqa: UP036  (this script runs before the venv exists)
        problems.append(f"Python 3.11 or newer is needed; this is {platform.python_version()} ({sys.executable}).")
    for lib, (what, debian, brew) in LIBRARIES.items():
        if ctypes.util.find_library(lib) is None:
            problems.append(
                f"{what} is missing: install the system package {debian} "
                f"(Debian/Ubuntu: apt-get install {debian}; macOS: brew install {brew})."
            )
    for problem in problems:
        print(f"riskreg setup: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
