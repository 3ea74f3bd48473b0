"""The three torchvision transforms the course uses: ``ToTensor``, ``Normalize``, ``Compose``.

    tform = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize(mean=[0.1307], std=[0.3081])])
    image = tform(train_set.data[0])      # (28, 28) uint8 -> (1, 28, 28) float32

Each works on one image ``(H, W)`` or on a batch ``(B, H, W)`` / ``(B, C, H, W)`` alike,
so a ``DataLoader`` over ``MNIST`` transforms a whole batch in one array operation.
The results are Tensors without grad, on the image's backend.
"""
import numbers

from .. import backend
from ..tensor import Tensor


class ToTensor:
    """uint8 pixels 0..255 -> float32 in [0, 1], with a channel axis: ``(..., H, W) -> (..., 1, H, W)``.

    As torchvision's: x = pixel / 255 for uint8 images; a float image is only given its
    channel axis (torchvision does not rescale floats either).
    """

    def __call__(self, image):
        array = image.array if isinstance(image, Tensor) else image
        xp = backend.get_array_module(array)
        if array.dtype == xp.uint8:
            array = xp.divide(array, 255, dtype=xp.float32)
        return Tensor(array[..., None, :, :])

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """x -> (x - mean[c]) / std[c] for each channel c (the axis third from the end).

    ``mean``, ``std``: one number per channel (lists, tuples, numbers or one-element tensors,
    as the course passes ``mean=[mean / 255.]``). MNIST has one channel.
    """

    def __init__(self, mean, std):
        self.mean = _numbers(mean, "mean")
        self.std = _numbers(std, "std")
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: {len(self.mean)} means but {len(self.std)} stds; "
                             "give one of each per channel")
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std {self.std} has a zero, which would divide by zero")

    def __call__(self, image):
        if not isinstance(image, Tensor) or image.dtype.kind != "f" or image.ndim < 3:
            raise TypeError("Normalize expects a float image Tensor (..., C, H, W): put ToTensor() before it "
                            "in Compose([ToTensor(), Normalize(mean, std)])")
        channels = image.shape[-3]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize: {len(self.mean)} means for an image of {channels} channels")
        xp = backend.get_array_module(image.array)
        mean = xp.asarray(self.mean, dtype=image.dtype).reshape(-1, 1, 1)
        std = xp.asarray(self.std, dtype=image.dtype).reshape(-1, 1, 1)
        return Tensor((image.array - mean) / std)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


def _numbers(values, name):
    if isinstance(values, (numbers.Real, Tensor)):
        values = [values]
    try:
        return [float(v.item() if isinstance(v, Tensor) else v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"Normalize: {name} must be numbers, one per channel, got {values!r}") from None
