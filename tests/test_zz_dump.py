import os, subprocess, sys
import pytest
from test_args_property import PROPERTY
from harness.runtimes import build_script
@pytest.mark.parametrize("runtime", ["cpython"], indirect=True)
def test_random_arguments_never_crash(runtime, broker, mkparams, tmp_path):
    text = build_script(PROPERTY, mkparams(broker, EXAMPLES=400))
    path = tmp_path / "client_1_cpython.py"
    path.write_text(text)
    r = subprocess.run(["gdb", "-batch", "-ex", "run", "-ex", "bt 40", "--args", sys.executable, "-u", str(path)],
                       env=dict(os.environ), cwd=str(tmp_path), capture_output=True, text=True, timeout=600,
                       stdin=subprocess.PIPE)
    open("/tmp/gdb_dump.txt", "w").write(r.stdout + "\n---\n" + r.stderr)
