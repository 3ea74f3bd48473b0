"""A command whose reader went away stops quietly: ``python -m ... | head``.

``head`` exits after its lines and closes the pipe; the command's next write to stdout raises
``BrokenPipeError``. Nothing is wrong and nobody is left to read a traceback, so the command
stops with exit status 1 and no message, as the Python docs advise ("Note on SIGPIPE", in the
``signal`` module's page): stdout is pointed at /dev/null first, so that the interpreter's
last flush at exit does not fail again.

A ``BrokenPipeError`` from anything else (a pipe to a child process, a socket) is a real error
and keeps its traceback: the pipe must be stdout, with its reading end closed.
"""
import contextlib
import os
import select
import sys


def stdout_reader_gone():
    """True when stdout is a pipe whose reading end is closed (``poll`` reports an error on it)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):      # replaced by an object without a file (a test's capture)
        return False
    if not hasattr(select, "poll"):                     # Windows: no way to ask; do as the docs' recipe does
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


@contextlib.contextmanager
def quiet_when_stdout_closes():
    """Run a command's body; if its stdout pipe was closed by the reader, exit 1 without a word."""
    try:
        try:
            yield
        finally:
            sys.stdout.flush()          # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        if not stdout_reader_gone():
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
