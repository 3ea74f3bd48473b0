"""Section 2.4, interpretability: the class filters of a partially trained linear model.

The linear model ``MLP(784, 10, hidden_dims=[])`` is f(x) = log_softmax(W x + b) with
W: (10, 784). Trained with Adam (lr 7e-4) for 200 full-batch steps on the 500-example
subset, row k of W, shown as a 28x28 image, is a template that fires on digits of class k.
"""
from experiments import common
from tinygrad_opt import no_grad

from .course import accuracy, loss_fn, partially_trained_linear

STEPS = 200
LR = 7e-4


def run(data, args, out):
    steps = 20 if args.quick else STEPS
    model, losses = partially_trained_linear(data.X, data.y, args.seed, steps=steps, lr=LR)
    print(model)
    W = model.main[0].weight.numpy()
    with no_grad():
        final_loss = loss_fn(model, data.X, data.y).item()
        train_acc = accuracy(model, data.X, data.y)
        test_acc = accuracy(model, data.x_test, data.y_test)

    plt = common.pyplot()
    fig, axes = plt.subplots(1, 10, figsize=(15, 2.2))
    for k, ax in enumerate(axes):
        ax.imshow(W[k].reshape(28, 28), cmap="gray_r")
        ax.set_title(f"Class {k}")
        ax.axis("off")
    fig.suptitle(f"Rows of W after {steps} Adam steps (lr {LR}) on {len(data.X)} examples")
    common.save_figure(fig, out / "filters.png")

    print(common.format_table(
        ["Adam steps", "loss at start", "loss at end", "train acc (500)", "test acc (10k)"],
        [[str(steps), f"{losses[0]:.4f}", f"{final_loss:.4f}", f"{train_acc:.1f}", f"{test_acc:.2f}"]]))
    result = {"section": "filters", "steps": steps, "lr": LR, "loss": losses, "final_loss": final_loss,
              "train_accuracy": train_acc, "test_accuracy": test_acc, "weight": W}
    common.save_json(out / "filters.json", result)
    return result
