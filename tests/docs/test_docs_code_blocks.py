"""Every ```python block of the README and of the pages in docs/ runs, and every link resolves.

The blocks of one page run in order in one namespace (a page may build on its earlier
blocks), in a fresh working folder. Two markers, an HTML comment on the line right before a
block, say what else to expect:

* ``<!-- raises: NAME -->``: the block must raise the exception class NAME (an example of an
  error message the page shows); a ```text block right after it, ``NAME: message``, is the
  message (or its first line);
* ``<!-- prints -->``: the ```text block right after it is the block's exact output.

A page whose code reads MNIST the course's way (``root='./data'``) finds the four files in
``./data`` of its working folder, as the course's reader does after its first download: the test
links that folder to the MNIST files of ``$TINYGRAD_OPT_DATA`` (or the user cache), and skips the
page when there are none (no network in the tests).
"""
import contextlib
import io
import linecache
import re
from pathlib import Path

import pytest

from tinygrad_opt import backend

from tinygrad_opt.data import mnist

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
FENCE = re.compile(r"(?:<!-- (?P<marker>raises: \w+|prints) -->\n)?```python\n(?P<code>.*?)```\n"
                   r"(?:\n?```text\n(?P<text>.*?)```)?", re.S)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def blocks(page):
    """[(line number, code, expected exception name or None, text shown right after or None)].

    The shown text is the expected output of a ``prints`` block, or the message of a ``raises`` block."""
    text = page.read_text()
    found = []
    for m in FENCE.finditer(text):
        marker = m.group("marker") or ""
        raises = marker[len("raises: "):] if marker.startswith("raises: ") else None
        shown = m.group("text") if marker else None
        found.append((text.count("\n", 0, m.start("code")) + 1, m.group("code"), raises, shown))
    return found


def check_markers(page):
    """Each marker belongs to the block right after it, and every ```python block is found."""
    text, page_blocks = page.read_text(), blocks(page)
    # a marker not right before a block, or "prints" without a text block right after, would check nothing
    markers = re.findall(r"<!-- (?:raises: \w+|prints) -->", text)
    used = [b for b in page_blocks if b[2] is not None or b[3] is not None]
    assert len(markers) == len(used), f"{page.name}: a marker that checks nothing"
    # a block FENCE misses (no newline after its closing fence, say) would never run
    assert text.count("```python\n") == len(page_blocks), f"{page.name}: a ```python block that is not run"


def test_the_pages_have_blocks_and_the_markers_are_used_as_meant():
    assert sum(len(blocks(page)) for page in PAGES) >= 5
    for page in PAGES:
        check_markers(page)


def _mnist_folder():
    folder = mnist.data_dir()
    return folder if all(mnist._find("mnist", folder, name) for name in mnist.FILES) else None


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    if backend.current().name == "fakegpu":
        pytest.skip("the pages show NumPy's output (a tensor on the stand-in device prints device='gpu'); "
                    "they run in the plain pass")
    monkeypatch.chdir(tmp_path)
    if any("root='./data'" in code for _, code, _, _ in blocks(page)):
        if _mnist_folder() is None:
            pytest.skip("MNIST files not found: set TINYGRAD_OPT_DATA to a folder holding the four files")
        (tmp_path / "data").symlink_to(_mnist_folder(), target_is_directory=True)
    run_blocks(page, page.relative_to(REPO).as_posix(), monkeypatch)


def run_blocks(page, filename, monkeypatch):
    """Run the page's blocks in order in one namespace; check the marked ones (each on its own).

    Each block is compiled at its own lines of the page (``filename``), so a traceback (or an
    error message that quotes the line of the user's code, as detect_anomaly's) shows the page's line."""
    namespace = {"__name__": f"docs_{page.stem}"}
    monkeypatch.setitem(linecache.cache, filename, (0, None, page.read_text().splitlines(True), filename))
    for line, code, raises, shown in blocks(page):
        where = f"{filename}:{line}"
        code = "\n" * (line - 1) + code
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            if raises:
                with pytest.raises(Exception) as info:
                    exec(compile(code, filename, "exec"), namespace)
                assert type(info.value).__name__ == raises, f"{where}: raised {info.value!r}"
            else:
                exec(compile(code, filename, "exec"), namespace)
        if raises and shown is not None:
            name, _, message = shown.rstrip("\n").partition(": ")
            assert name.split(".")[-1] == raises, f"{where}: the page shows {name}, the block raises {raises}"
            real = str(info.value)
            assert message in (real, real.splitlines()[0]), f"{where}: the page shows another message than {real!r}"
        elif shown is not None:
            assert out.getvalue() == shown, f"{where}: the page shows other output than the code prints"


# A page with one "prints" block among ordinary ones: the marker checks its own block only; the
# ordinary blocks run, their printed output and a ```text block under one of them unchecked.
ONE_PRINTS_BLOCK = """# A page

```python
x = 6 * 7
print("ordinary blocks may print")
```

```text
a listing, not this block's output
```

<!-- prints -->
```python
print(x)
```
```text
{shown}
```

```python
print(x + 1)
```
"""


def test_a_prints_marker_checks_its_own_block_among_ordinary_ones(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text(ONE_PRINTS_BLOCK.format(shown=42))
    check_markers(page)
    assert [(code, raises, shown) for _, code, raises, shown in blocks(page)] == [
        ('x = 6 * 7\nprint("ordinary blocks may print")\n', None, None), ("print(x)\n", None, "42\n"),
        ("print(x + 1)\n", None, None)]
    run_blocks(page, "page.md", monkeypatch)
    page.write_text(ONE_PRINTS_BLOCK.format(shown=43))
    with pytest.raises(AssertionError, match="page.md:14: the page shows other output than the code prints"):
        run_blocks(page, "page.md", monkeypatch)


def test_a_block_that_would_not_run_is_reported(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n```python\nprint(x)\n```")     # no newline at the very end
    with pytest.raises(AssertionError, match="a ```python block that is not run"):
        check_markers(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page):
    """Links to files of the repository point at files that exist, and a #anchor at a heading there."""
    broken = []
    for m in LINK.finditer(page.read_text()):
        target = m.group("target")
        if re.match(r"[a-z]+:", target):            # https:, mailto: (no network in the tests)
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path) if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", file.read_text(), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
            if anchor not in slugs:
                broken.append(target)
    assert broken == [], f"{page.name}: links to nothing: {broken}"
