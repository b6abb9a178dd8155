"""The deployment zip carries compiled bytecode, which a cold Lambda imports instead of
compiling every module's source (its code directory is read-only, so it cannot cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from infra.package import byte_compile

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def test_python_imports_the_zips_bytecode_without_reading_the_source(tmp_path):
    deployment = tmp_path / "deployment.zip"
    with zipfile.ZipFile(deployment, "w") as zipped:
        zipped.writestr("handler.py", "ORIGIN = 'bytecode'\n")
        zipped.writestr("lib/__init__.py", "")
        zipped.writestr("lib/readme.txt", "not a module")

    assert byte_compile(deployment, RUNTIME) == 2

    task = tmp_path / "task"
    zipfile.ZipFile(deployment).extractall(task)
    (task / "handler.py").write_text("ORIGIN = 'source'\n")  # only bytecode used unchecked ignores this
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPYCACHEPREFIX"}
    out = subprocess.run([sys.executable, "-B", "-c", "import handler, lib; print(handler.ORIGIN)"],
                         cwd=task, env=env, check=True, capture_output=True, text=True).stdout
    assert out.strip() == "bytecode"


def test_bytecode_for_another_python_than_the_functions_run_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="python3.99"):
        byte_compile(tmp_path / "deployment.zip", "python3.99")
