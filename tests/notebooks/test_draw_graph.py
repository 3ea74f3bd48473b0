"""draw_graph: the graph that made a tensor as a graphviz Digraph, with and without Graphviz's dot."""
import pathlib
import re
import shutil
import sys

import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, draw_graph

graphviz = pytest.importorskip("graphviz", reason="the 'viz' extra (pip install 'tinygrad_opt[viz]')")


def _mlp_loss():
    """loss = mean((relu(x W^T + b) - y)^2) on a 3-example batch: 2 -> 2."""
    x = Tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    W = Tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
    b = Tensor([0.1, -0.2], requires_grad=True)
    y = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    h = (x @ W.T + b).relu()
    return ((h - y) ** 2).mean(), W, b


def _labels(dot):
    """{node name: label} of a DOT source."""
    found = re.findall(r'^\s*"?(\w+)"? \[label=(?:"(.*?)"|(\w+))', dot.source, re.MULTILINE)
    return {name: quoted or bare for name, quoted, bare in found}


def test_every_op_and_tensor_with_its_shape():
    loss, W, b = _mlp_loss()
    dot = draw_graph(loss, params={"W": W, "b": b})
    assert isinstance(dot, graphviz.Digraph)
    labels = _labels(dot)
    ops = sorted(label for label in labels.values() if not label.startswith("{"))
    assert ops == ["add", "matmul", "mean", "permute", "pow", "relu", "sub"]
    boxes = [label for label in labels.values() if label.startswith("{")]
    # x, W, W.T, x W^T, b, + b, relu, y, h - y, ^2, mean: 11 tensors (pow's exponent is a number)
    assert len(boxes) == 11
    assert "{ W | (2, 2) float32 | data 0.5 -1 2 3 }" in boxes
    assert "{ b | (2,) float32 | data 0.1 -0.2 }" in boxes
    assert sum("(3, 2) float32" in box for box in boxes) == 7    # x, x W^T, + b, relu, y, h - y, ^2
    assert re.fullmatch(r"\{ \(\) float(32|64) \| data [0-9.]+ \}", labels[str(id(loss))])
    # each op node points to its output and gets one edge from each input
    assert f'"{id(loss)}op" -> {id(loss)}' in dot.source
    inputs = re.findall(r'^\s*\d+ -> "\d+op"$', dot.source, re.MULTILINE)
    outputs = re.findall(r'^\s*"\d+op" -> \d+$', dot.source, re.MULTILINE)
    assert len(outputs) == 7
    assert len(inputs) == 1 + 2 + 2 + 1 + 2 + 1 + 1     # permute matmul add relu sub pow mean


def test_gradients_appear_after_backward_with_retained_graph():
    loss, W, b = _mlp_loss()
    loss.backward(retain_graph=True)
    labels = _labels(draw_graph(loss, params={"W": W, "b": b}))
    expected_W = " ".join(f"{v:.4g}" for v in W.grad.numpy().ravel().tolist())
    assert labels[str(id(W))] == "{ W | (2, 2) float32 | data 0.5 -1 2 3 | grad " + expected_W + " }"
    assert labels[str(id(b))].startswith("{ b | (2,) float32 | data 0.1 -0.2 | grad ")
    assert not any("freed" in label for label in labels.values())


def test_a_large_tensor_shows_its_shape_not_its_values():
    W = Tensor([[0.1] * 5] * 4, requires_grad=True)
    loss = (W * W).sum()
    loss.backward(retain_graph=True)
    label = _labels(draw_graph(loss))[str(id(W))]
    assert label == "{ (4, 5) float32 | grad (4, 5) }"


def test_after_backward_without_retain_graph_the_freed_op_is_marked():
    loss, W, b = _mlp_loss()
    loss.backward()
    dot = draw_graph(loss, params={"W": W})
    labels = _labels(dot)
    assert labels[f"{id(loss)}op"] == "mean\\nfreed by backward()"
    assert "style=dashed" in dot.source
    assert str(id(W)) not in labels            # the record of the inputs is gone


def test_a_tensor_used_twice_is_drawn_once_with_two_edges():
    a = Tensor([2.0], requires_grad=True)
    out = a + a
    dot = draw_graph(out)
    assert len(_labels(dot)) == 3                 # a, add, out
    assert dot.source.count(f'{id(a)} -> "{id(out)}op"') == 2


def test_names_with_record_characters_are_escaped():
    W = Tensor([1.0], requires_grad=True)
    label = _labels(draw_graph(W * 2, params={"fc<1>|w": W}))[str(id(W))]
    assert label.startswith("{ fc\\<1\\>\\|w | (1,) float32")


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="expected a Tensor, got list"):
        draw_graph([1.0])
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'"):
        draw_graph(Tensor([1.0]), rankdir="RL")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_renders_to_svg_with_the_dot_program():
    loss, W, _ = _mlp_loss()
    svg = draw_graph(loss, params={"W": W}).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">matmul<" in svg and ">W<" in svg


def test_without_the_dot_program_the_digraph_and_its_source_come_back(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))        # an empty folder: no dot program anywhere
    loss, W, _ = _mlp_loss()
    dot = draw_graph(loss, params={"W": W})
    assert "matmul" in dot.source and "{ W | (2, 2) float32" in dot.source
    with pytest.raises(graphviz.ExecutableNotFound):  # the dot program really is out of reach
        dot.pipe(format="svg")


def test_without_the_graphviz_package_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)      # import graphviz now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_opt\[viz\]'"):
        tinygrad_opt.draw_graph(Tensor([1.0]))


def test_the_docs_example_draws_what_the_docs_say():
    docs = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "notebooks.md").read_text()
    example = docs.split("```python\n")[1].split("```")[0]
    *statements, last = example.strip().split("\n")
    scope = {}
    exec("\n".join(statements), scope)
    dot = eval(last, scope)
    assert "`W | (2, 2) float32 | data 0.5 -1 2 3 | grad 1 1 2 2`" in docs
    assert _labels(dot)[str(id(scope["W"]))] == "{ W | (2, 2) float32 | data 0.5 -1 2 3 | grad 1 1 2 2 }"
