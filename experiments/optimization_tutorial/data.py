"""Section 2.1, the data: three training examples with the values of their pixels.

After standardisation a pixel is ``(p / 255 - mean) / std``: the white background becomes
-mean/std = -0.42 and full ink (1 - mean)/std = 2.82, so the values are no longer in [0, 1].
The figure writes the value on every inked pixel (the background ones all read -0.4).
"""
from experiments import common

NUM_EXAMPLES = 3


def run(data, args, out):
    images = data.X[:NUM_EXAMPLES].reshape(-1, 28, 28)
    labels = data.y[:NUM_EXAMPLES]

    plt = common.pyplot()
    background = -data.mean / data.std
    # Large panels so the value of each of the 28 x 28 pixels is readable at fontsize 6;
    # constrained layout keeps the titles inside the figure.
    fig, axes = plt.subplots(1, NUM_EXAMPLES, figsize=(7 * NUM_EXAMPLES, 7.4), layout="constrained")
    for ax, image, label in zip(axes, images, labels, strict=True):
        ax.matshow(image, cmap="gray_r")
        middle = (background + image.max()) / 2
        for i, j in zip(*(image > background + 1e-6).nonzero(), strict=True):
            ax.text(j, i, f"{image[i, j]:.1f}", ha="center", va="center", fontsize=6,
                    color="white" if image[i, j] > middle else "navy")     # readable on dark and light ink
        ax.set_title(f"Label: {label}", fontsize=14)
        ax.axis("off")
    fig.suptitle(f"Standardised pixel values of three training examples (blank: background, {background:.2f})",
                 fontsize=14)
    common.save_figure(fig, out / "data.png")

    rows = [[str(k), str(label), f"{image.min():.3f}", f"{image.max():.3f}", f"{image.mean():.3f}"]
            for k, (image, label) in enumerate(zip(images, labels, strict=True))]
    print(f"Standardisation: x = (pixel/255 - {data.mean:.4f}) / {data.std:.4f}; "
          f"subset of {len(data.X)} training examples (seed {args.seed})")
    print(common.format_table(["example", "label", "min", "max", "mean"], rows))
    result = {"section": "data", "mean": data.mean, "std": data.std, "subset_size": len(data.X),
              "labels": labels, "pixels": images}
    common.save_json(out / "data.json", result)
    return result
