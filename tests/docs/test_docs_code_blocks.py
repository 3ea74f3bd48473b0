"""Every ```python block of the README and of the pages in docs/ runs.

The blocks of one page run in order in one namespace (a page may build on its earlier
blocks), in a fresh working folder. Two markers, an HTML comment on the line right before a
block, say what else to expect:

* ``<!-- raises: NAME -->``: the block must raise the exception class NAME (an example of an
  error message the page shows);
* ``<!-- prints -->``: the ```text block right after it is the block's exact output.
"""
import contextlib
import io
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
FENCE = re.compile(r"(?:<!-- (?P<marker>raises: \w+|prints) -->\n)?```python\n(?P<code>.*?)```\n"
                   r"(?:\n?```text\n(?P<text>.*?)```)?", re.S)


def blocks(page):
    """[(line number, code, expected exception name or None, expected output or None)]."""
    text = page.read_text()
    found = []
    for m in FENCE.finditer(text):
        marker = m.group("marker") or ""
        raises = marker[len("raises: "):] if marker.startswith("raises: ") else None
        prints = m.group("text") if marker == "prints" else None
        found.append((text.count("\n", 0, m.start("code")) + 1, m.group("code"), raises, prints))
    return found


def test_the_pages_have_blocks_and_the_markers_are_used_as_meant():
    found = {page.name: blocks(page) for page in PAGES}
    assert sum(len(b) for b in found.values()) >= 5
    for name, page_blocks in found.items():
        for line, _, _, prints in page_blocks:
            text = (REPO / ("README.md" if name == "README.md" else f"docs/{name}")).read_text()
            # a "prints" marker without a text block right after would check nothing
            assert prints is not None or "<!-- prints -->\n```python" not in text, f"{name}:{line}"


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    for line, code, raises, prints in blocks(page):
        where = f"{page.relative_to(REPO)}:{line}"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            if raises:
                with pytest.raises(Exception) as info:
                    exec(compile(code, where, "exec"), namespace)
                assert type(info.value).__name__ == raises, f"{where}: raised {info.value!r}"
            else:
                exec(compile(code, where, "exec"), namespace)
        if prints is not None:
            assert out.getvalue() == prints, f"{where}: the page shows other output than the code prints"
