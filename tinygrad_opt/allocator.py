"""Keep freed memory for the next training step (Linux with glibc only).

Why a deep-learning framework cares about ``malloc``: a training step allocates and frees
the same large arrays every time (a minibatch copy, a weight gradient: 784 x 100 float32 is
306 KiB). When such an array is freed at the top of the heap, glibc gives the memory back to
the operating system at once ("trimming"), and the next step's allocation takes it back page
by page, each 4 KiB page a page fault that the kernel fills with zeros. Whether that happens
depends only on the order of allocations and frees: in the MNIST loop written PyTorch's way
(``zero_grad()`` first, then forward, backward, step) it cost about 190 page faults per step
and made each step twice as slow as the hand-written NumPy loop; with the forward first it
cost none (``python -m experiments.benchmark`` measures both orders).

``M_TOP_PAD`` tells glibc to keep that much freed memory at the top of the heap instead of
trimming it, so a steady training loop stops faulting. The price is at most that much more
resident memory. PyTorch users get the same effect by preloading jemalloc or tcmalloc.

Set ``TINYGRAD_OPT_MALLOC_TOP_PAD`` (bytes) to change the amount, 0 to leave malloc alone.
On other systems (macOS, Windows, musl) this does nothing.
"""
import ctypes
import ctypes.util
import os
import sys

M_TOP_PAD = -2                 # glibc's <malloc.h> constant for mallopt
DEFAULT_TOP_PAD = 16 * 2 ** 20


def keep_freed_memory(top_pad=None):
    """Ask glibc to keep ``top_pad`` bytes of freed memory at the top of the heap.

    Returns True where glibc took the setting, False where it does not apply.
    """
    if top_pad is None:
        top_pad = int(os.environ.get("TINYGRAD_OPT_MALLOC_TOP_PAD", DEFAULT_TOP_PAD))
    if top_pad <= 0 or not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt          # glibc has it; musl's libc does not
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_TOP_PAD, top_pad))
