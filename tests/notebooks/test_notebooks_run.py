"""The notebooks run top to bottom (short settings: TINYGRAD_OPT_QUICK=1), with inline figures,
and are kept in git without outputs."""
import json
import os
import pathlib

import pytest

from tinygrad_opt import backend

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
NEEDS_MNIST = {"01_optimizers_assignment.ipynb", "02_optimization_techniques.ipynb"}
# what each notebook prints beside its figures: the course's numbers next to this run's, the checks
PRINTED = {
    "01_optimizers_assignment.ipynb": ["Iteration: 500. Loss: ", "course tinygrad_opt", "RMSprop"],
    "02_optimization_techniques.ipynb": ["(0): Linear(in_features=784, out_features=10, bias=True)",
                                         "optimum (Newton)", "final losses of the", "RMSprop"],
    "03_learning_hyperparameters.ipynb": ["by hand    backward()", "best eta", "first epoch with loss < 0.01"],
}


def test_the_three_notebooks_are_there():
    assert [nb.name for nb in NOTEBOOKS] == ["01_optimizers_assignment.ipynb", "02_optimization_techniques.ipynb",
                                             "03_learning_hyperparameters.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kept_without_outputs(path):
    """Outputs stay out of git: run the notebook, then clear its outputs before committing."""
    cells = json.loads(path.read_text())["cells"]
    with_outputs = [i for i, c in enumerate(cells)
                    if c["cell_type"] == "code" and (c["outputs"] or c["execution_count"] is not None)]
    assert with_outputs == [], f"{path.name}: cells {with_outputs} hold outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_the_package_where_it_is_missing(path):
    first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    assert 'find_spec("tinygrad_opt") is None' in source and "%pip install" in source
    assert "OWNER" not in path.read_text()          # no placeholder address for the learner to fill in


def _execute(path, monkeypatch, first_cell=None):
    """Run a notebook in a fresh kernel with this checkout's package; the executed notebook."""
    nbformat = pytest.importorskip("nbformat", reason="the 'notebook' extra (pip install 'tinygrad_opt[notebook]')")
    nbclient = pytest.importorskip("nbclient", reason="the 'notebook' extra (pip install 'tinygrad_opt[notebook]')")
    if backend.current().name == "fakegpu":
        pytest.skip("the rehearsal of the GPU run: a kernel cannot load the stand-in device, and on NumPy "
                    "this notebook already ran in the plain pass")
    pytest.importorskip("ipykernel", reason="the 'notebook' extra (pip install 'tinygrad_opt[notebook]')")
    if path.name in NEEDS_MNIST:
        folder = os.environ.get("TINYGRAD_OPT_DATA", "")
        if not all(os.path.exists(os.path.join(folder, f)) for f in MNIST_FILES):
            pytest.skip("MNIST files not found: set TINYGRAD_OPT_DATA to a folder holding the four files")
    # the kernel imports this checkout (not another installed copy) and runs the short settings
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("TINYGRAD_OPT_QUICK", "1")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(str(path), as_version=4)
    if first_cell is not None:
        nb.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if kind in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_top_to_bottom_with_inline_figures(path, monkeypatch):
    nb = _execute(path, monkeypatch)
    assert len(_outputs(nb, "image/png")) >= 2, "the figures are shown inline"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "quick: True" in text                    # it ran the short settings it was asked for
    assert [p for p in PRINTED[path.name] if p not in text] == []


def test_without_ipywidgets_the_demos_draw_fixed_figures(monkeypatch):
    path = ROOT / "notebooks" / "03_learning_hyperparameters.ipynb"
    nb = _execute(path, monkeypatch, first_cell="import sys; sys.modules['ipywidgets'] = None")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "widgets: False" in text
    # the fixed figures: four depths, three learning rates, two initial weights, beside the others
    assert len(_outputs(nb, "image/png")) >= 4 + 3 + 2
