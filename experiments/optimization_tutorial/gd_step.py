"""Coding exercise 3: one gradient-descent update of the linear model, parameters before and after.

    w <- w - lr * dL/dw        (lr = 0.1, L = the NLL loss on the 500-example subset)

done by ``gradient_update(loss, params, lr)`` from ``tinygrad_opt.optim.functional``, which
clears the old gradients, runs ``loss.backward()`` and updates every parameter in place.
The figure shows the update -lr * dL/dW of each class's weights as a 28x28 image.
"""
from experiments import common
from tinygrad_opt import manual_seed, nn, no_grad
from tinygrad_opt.optim.functional import gradient_update

from .course import format_params, loss_fn

LR = 0.1
COURSE_EXPECTED = "main.0.weight tensor([[-0.0263,  0.0010,  0.0174,  ...,  0.0298,  0.0278, -0.0220], ..."


def run(data, args, out):
    manual_seed(args.seed)
    model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    weight, bias = model.main[0].weight, model.main[0].bias
    W_before, b_before = weight.numpy().copy(), bias.numpy().copy()
    print("\n The model's parameters before the update are:\n")
    print(format_params(model))

    loss = loss_fn(model, data.X, data.y)
    gradient_update(loss, list(model.parameters()), lr=LR)
    print("\n The model's parameters after the update are:\n")
    print(format_params(model))
    print(f"(the course's expected output, {COURSE_EXPECTED}, starts from PyTorch's initial weights, so the "
          f"digits differ; both are U(-1/28, 1/28) = U(-0.0357, 0.0357) moved by the small step in the table below)")
    with no_grad():
        loss_after = loss_fn(model, data.X, data.y).item()
    W_after, b_after = weight.numpy(), bias.numpy()
    step = W_after - W_before

    plt = common.pyplot()
    fig, axes = plt.subplots(1, 10, figsize=(15, 2.2))
    limit = abs(step).max()
    for k, ax in enumerate(axes):
        ax.imshow(step[k].reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"Class {k}")
        ax.axis("off")
    fig.suptitle(f"One gradient step: -lr * dL/dW per class (lr {LR}; red +, blue -; max |step| {limit:.4f})")
    common.save_figure(fig, out / "gd_step.png")

    print()
    print(common.format_table(["lr", "loss before", "loss after", "max |W step|", "max |b step|"],
                              [[str(LR), f"{loss.item():.4f}", f"{loss_after:.4f}", f"{limit:.5f}",
                                f"{abs(b_after - b_before).max():.5f}"]]))
    result = {"section": "gd_step", "lr": LR, "loss_before": loss.item(), "loss_after": loss_after,
              "bias_before": b_before, "bias_after": b_after,
              "weight_before": W_before, "weight_after": W_after}
    common.save_json(out / "gd_step.json", result)
    return result
