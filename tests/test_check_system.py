"""`make run`/`make test` stop with the package to install when a system library is missing."""

import ctypes.util
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_system.py"


def load():
    spec = importlib.util.spec_from_file_location("check_system", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_passes_on_this_machine(capsys):
    assert load().main() == 0
    assert capsys.readouterr().err == ""


def test_missing_pango_names_the_package_and_exits_1(monkeypatch, capsys):
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name.startswith("pango") else real(name))
    assert load().main() == 1
    err = capsys.readouterr().err
    assert "apt-get install libpango-1.0-0" in err
    assert "brew install pango" in err
    assert "Traceback" not in err
