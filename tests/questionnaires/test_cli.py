"""`riskreg questionnaires check`: authors see every problem with file and line, and exit 1."""

import subprocess
import sys
from pathlib import Path

from tests.questionnaires.test_loader import GOOD

RISKREG = [sys.executable, "-m", "app.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RISKREG, "questionnaires", "check", *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])


def test_the_shipped_folder_checks_clean():
    result = run()
    assert result.returncode == 0, result.stderr
    assert "ok  baseline-security v1" in result.stdout


def test_a_broken_file_is_listed_with_its_line_and_exit_1(tmp_path):
    bad = tmp_path / "tiny.v1.yaml"
    bad.write_text(GOOD.replace("        weight: 3\n", "        wieght: 3\n"))
    good = tmp_path / "other.v1.yaml"
    good.write_text(GOOD.replace("key: tiny", "key: other"))
    result = run(str(tmp_path))
    assert result.returncode == 1
    assert f"{bad}:12: sections.0.questions.0.wieght: unknown key" in result.stderr
    assert "ok  other v1" in result.stdout
    assert "Traceback" not in result.stderr
