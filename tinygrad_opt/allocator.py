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
trimming it, so a steady training loop stops faulting. Setting any option also freezes
glibc's "dynamic mmap threshold" (which otherwise rises from 128 KiB to the size of the
largest freed block), and an array above the threshold is mapped and unmapped on every
allocation, faulting again: so the threshold is set too, to 32 MiB, the most glibc's own
rule would raise it to. The price is at most ``top_pad`` more resident memory. PyTorch users
get the same effect by preloading jemalloc or tcmalloc.

Set ``TINYGRAD_OPT_MALLOC_TOP_PAD`` (bytes) to change the amount, 0 to leave malloc alone.
On other systems (macOS, Windows, musl) this does nothing.
"""
import ctypes
import os
import sys

M_TOP_PAD = -2                 # glibc's <malloc.h> constants for mallopt
M_MMAP_THRESHOLD = -3
DEFAULT_TOP_PAD = 16 * 2 ** 20
MMAP_THRESHOLD = 32 * 2 ** 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems


def keep_freed_memory(top_pad=None):
    """Ask glibc to keep ``top_pad`` bytes of freed memory at the top of the heap (and to
    serve arrays up to 32 MiB from the heap).

    Returns True where glibc took the setting, False where it does not apply.
    """
    if top_pad is None:
        top_pad = int(os.environ.get("TINYGRAD_OPT_MALLOC_TOP_PAD", DEFAULT_TOP_PAD))
    if top_pad <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        # the symbols already loaded into this process, the C library's among them (no
        # library search, which would start a subprocess at import)
        mallopt = ctypes.CDLL(None).mallopt     # glibc has it; musl's libc does not
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_TOP_PAD, top_pad)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
