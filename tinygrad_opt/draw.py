"""A picture of the computation graph: ``draw_graph(loss)``, as micrograd's ``draw_dot``.

Every tensor that took part in computing ``root`` becomes a box (its name if you give one,
its shape and dtype, its values when it has at most four; its ``.grad`` once ``backward()``
has filled it in), every op an oval between its inputs and its output:

    x ──┐
        ├─> (matmul) ──> [(B, 10)] ──> (log_softmax) ──> ...
    W ──┘

The graph is the one ``backward()`` walks (``tensor.py``): each tensor's ``_parents`` and
``_op``. ``backward()`` frees that record unless it is called with ``retain_graph=True``;
drawn afterwards, a freed op is marked "freed by backward()" and its inputs are gone. To see
the gradients on the whole graph, call ``loss.backward(retain_graph=True)`` first.

The drawing is a ``graphviz.Digraph``: Jupyter shows it inline, ``.render("graph")`` writes a
file, ``.source`` is its DOT text. The graphviz Python package is an optional extra
(``pip install 'tinygrad_opt[viz]'``); rendering also needs Graphviz's ``dot`` program, but the
Digraph and its ``.source`` come back without it.
"""
_SHOWN_VALUES = 4     # a tensor with at most this many elements shows its values


def draw_graph(root, params=None, rankdir="LR"):
    """The graph that computed ``root`` as a ``graphviz.Digraph``.

    ``params``: an optional ``{name: tensor}`` dict (e.g. ``dict(model.named_parameters())``)
    whose names label their boxes. ``rankdir``: "LR" (left to right) or "TB" (top to bottom).
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError("draw_graph needs the graphviz Python package: pip install 'tinygrad_opt[viz]' "
                          "(and, to render the picture, Graphviz's 'dot' program: "
                          "apt-get install graphviz, brew install graphviz, or graphviz.org)") from None
    if not hasattr(root, "_parents"):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    names = {id(t): name for name, t in (params or {}).items()}
    dot = Digraph(format="svg", graph_attr={"rankdir": rankdir})
    for t in _tensors(root):
        box = str(id(t))
        dot.node(box, label=_label(t, names.get(id(t))), shape="record")
        if t._backward is None:        # a leaf, or a result computed without grad
            continue
        op = box + "op"
        freed = not t._parents         # backward() dropped the inputs (and the closure) of this op
        dot.node(op, label=t._op + ("\\nfreed by backward()" if freed else ""), shape="ellipse",
                 style="dashed" if freed else "solid")
        dot.edge(op, box)
        for parent in t._parents:
            dot.edge(str(id(parent)), op)
    return dot


def _tensors(root):
    """Every tensor of the graph below ``root``, each once (an iterative depth-first search)."""
    seen, order, stack = set(), [], [root]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        order.append(t)
        stack.extend(t._parents)
    return order


def _label(t, name):
    """A record label: ``{ name | shape dtype | values | grad ... }``."""
    fields = [] if name is None else [name]
    fields.append(f"{_shape(t.shape)} {t.dtype}")
    if t.numel() <= _SHOWN_VALUES:
        fields.append("data " + _values(t))
    if t.grad is not None:
        fields.append("grad " + (_values(t.grad) if t.numel() <= _SHOWN_VALUES else _shape(t.grad.shape)))
    return "{ " + " | ".join(_escape(f) for f in fields) + " }"


def _shape(shape):
    return str(tuple(shape))          # (2,) for one axis, as Python and PyTorch print it


def _values(t):
    return " ".join(f"{v:.4g}" for v in t.numpy().ravel().tolist())


def _escape(text):
    """Characters that structure a record label are quoted (a name like ``fc<1>`` stays text)."""
    for c in "\\{}|<>":
        text = text.replace(c, "\\" + c)
    return text
