"""The grader's side of the submission's process (``worker.py``): start it, ask, time it out.

The process is a clean interpreter (``python -I``: no user site-packages, no PYTHON*
variables, not the current directory on the path) with a minimal environment, started in an
empty temporary directory; it finds this same copy of tinygrad_opt through an explicit path.
Each request has a time limit: past it, the process is killed, the answer is a failure saying
what it was doing ("timed out after 20 s in step() at step 3"), and the next request starts a
fresh process. A crash (the process exits) is a failure with the end of its stderr.

This stops accidents and simple tricks (a submission that patches the library, loops
forever, exits, prints). It is not a security boundary: the submission runs with the
grader's user rights. Grade untrusted code inside a container or a VM.
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tinygrad_opt

from .runner import error_text

LIBRARY_ROOT = str(Path(tinygrad_opt.__file__).resolve().parents[1])
IMPORT_TIMEOUT = 60      # seconds to start the process and import the submission (at least)
START = f"import sys; sys.path.insert(0, {LIBRARY_ROOT!r}); from tinygrad_opt.coursework.worker import main; main()"


class Failure(Exception):
    """The submission's process did not answer: it timed out, crashed, or raised."""


class Submission:
    """The submission ``path`` (a .py file or a folder) in a process of its own, started on demand."""

    def __init__(self, path, timeout=20.0):
        self.path, self.timeout = str(Path(path).resolve()), timeout
        self.process, self.contents, self.load_error = None, None, None

    def _start(self):
        self.workdir = tempfile.TemporaryDirectory(prefix="coursework-")
        self.stderr = open(Path(self.workdir.name) / "stderr.txt", "w+")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": self.workdir.name,
               "TINYGRAD_OPT_BACKEND": "numpy", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1"}
        self.process = subprocess.Popen([sys.executable, "-I", "-c", START], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.stderr, cwd=self.workdir.name,
                                        env=env, text=True, bufsize=1)
        self.answers = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout, self.answers), daemon=True).start()
        try:
            # starting Python and NumPy is the grader's cost, not the submission's: a limit of its own;
            # the message below says what was being done
            self.contents = self._ask({"op": "load", "path": self.path}, max(self.timeout, IMPORT_TIMEOUT),
                                      name_phase=False)
        except Failure as e:
            self.load_error = Failure(f"importing the submission failed: {e}")
            self.close()
            raise self.load_error from None

    @staticmethod
    def _read(stream, answers):
        for line in stream:
            try:
                answers.put(json.loads(line))
            except ValueError:
                answers.put({"error": {"type": "garbled answer from the submission's process",
                                       "message": repr(line[:200])}})
        answers.put(None)

    def load(self):
        """``{"optimizers": {class name: [library bases]}, "functions": [names]}``; raises Failure."""
        if self.load_error is not None:
            raise self.load_error
        if self.process is None:
            self._start()
        return self.contents

    def ask(self, request):
        """The answer to ``request``; raises :class:`Failure` with a message a student can act on."""
        self.load()
        return self._ask(request)

    def _ask(self, request, timeout=None, name_phase=True):
        """The answer, or a Failure saying what happened and (``name_phase``) what the process was doing."""
        timeout = timeout or self.timeout
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:     # the process died between requests: the end of its answers says how
            pass
        deadline, phase = time.monotonic() + timeout, "starting"
        while True:
            try:
                message = self.answers.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                self.close()
                raise Failure(f"timed out after {timeout:g} s" + (f" in {phase}" if name_phase else "")) from None
            if message is None:
                code = self.process.wait()
                self.stderr.seek(0)
                tail = self.stderr.read()[-600:].strip()
                self.close()
                at = f" in {phase}" if name_phase else ""
                raise Failure(f"the submission's process ended (exit code {code}){at}"
                              + (f"; its last output:\n{tail}" if tail else ""))
            if "phase" in message and len(message) == 1:
                phase = message["phase"]
            elif "error" in message:
                raise Failure(error_text(message["error"], f"in {message.get('phase', phase)}" if name_phase else ""))
            else:
                return message["result"]

    def close(self):
        """Kill the process (if any); the next request starts a fresh one."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            try:
                self.process.stdin.close()
            except BrokenPipeError:     # a request the dead process never read: nothing to deliver
                pass
            self.stderr.close()
            self.workdir.cleanup()
        self.process = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
