"""Training data: which dataset plugin reads ``--data``, the resumable sampler, and the device-side
batch pipeline (paired random crop + flip with ``kornia.augmentation``, LR made per batch).

Images are read on the CPU (workers optional) at full size, moved to the device, cropped and flipped
there with the *same* parameters for the photo and its semantic map (they are stacked along
channels and augmented as one tensor), and degraded into LR with the registered degradation in one
call per batch. Mixed-size folders are cut to the patch size per item on the CPU first (batching
needs one size), with a window drawn from a generator seeded by ``(seed, epoch, index)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset, DistributedSampler

from .. import api
from .._io.pix2pix import FACADES_FILE, FACADES_SPLITS, is_facades_file, is_facades_folder
from ..checks import accepts_keyword
from ..errors import InputError, RecipeError
from ..imageio import image_size, list_images, quantize_8bit
from ..recipe import Recipe

__all__ = [
    "BatchMaker",
    "DataSource",
    "ResumableSampler",
    "build_degradation",
    "locate_data",
    "training_dataset",
    "validation_dataset",
]


@dataclass(frozen=True)
class DataSource:
    """Where the images are and which dataset plugin reads them.

    Attributes:
        plugin: the registered dataset name (``"facades"``, ``"folder"`` or another plugin's).
        root: the folder handed to the plugin (a Facades root holds the split folders).
        split: the Facades split (``"train"``, ``"test"``), ``None`` for other plugins.
    """

    plugin: str
    root: Path
    split: str | None = None

    def sibling(self, split: str) -> DataSource | None:
        """The same Facades root's ``split`` folder, if it exists."""
        if self.split is None or not (self.root / split).is_dir():
            return None
        return DataSource(self.plugin, self.root, split)


def needs_semantic(recipe: Recipe) -> str | None:
    """The ``[train]`` key that needs the ``semantic`` ground truth, or ``None``."""
    assert recipe.train is not None
    for i, critic in enumerate(recipe.train.critics):
        if critic.target == "semantic":
            return f"train.critics[{i}] ({critic.name})"
    for i, term in enumerate(recipe.train.losses):
        if term.target == "semantic":
            return f"train.losses[{i}] ({term.component} on {term.node})"
    return None


def locate_data(
    path: Path, recipe: Recipe, split: str = "train", require_semantic: bool = True
) -> DataSource:
    """Decide how to read ``path`` for ``recipe``'s ``[train]`` table.

    A folder holding ``train/`` is a Facades root; a folder of 512×256 photo | label files is a
    Facades split; anything else is a folder of HR images. The recipe's ``train.dataset`` names the
    plugin; a Facades folder given to a ``folder`` recipe is read by ``facades`` for its photos only.

    Raises:
        InputError: a missing or empty folder, or no semantic maps for a recipe that needs them.
    """
    assert recipe.train is not None
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: no such folder; --data expects a Facades root or split, or a folder of HR images"
        )
    if not path.is_dir():
        raise InputError(
            f"{path}: is a file; --data expects a folder (a Facades root or split, or HR images)"
        )
    wanted = recipe.train.dataset or "folder"
    if (path / split).is_dir() and is_facades_folder(path / split):
        source = DataSource("facades", path, split)
    else:
        files = list_images(path)
        if not files:
            inside = (
                " (it has sub-folders; point --data at the one holding the images)"
                if any(p.is_dir() for p in path.iterdir())
                else ""
            )
            raise InputError(f"{path}: no image files (png, jpg, bmp, tif, webp...) in this folder{inside}")
        if is_facades_file(files[0]):
            if path.name not in FACADES_SPLITS:
                raise InputError(
                    f"{path}: holds Facades photo | label files, but the facades reader needs the split "
                    f"folder to be called {', '.join(FACADES_SPLITS)}; rename it or pass its parent"
                )
            source = DataSource("facades", path.parent, path.name)
        else:
            source = DataSource("folder", path)
    semantic = needs_semantic(recipe) if require_semantic else None
    if semantic is not None and source.plugin != "facades":
        raise InputError(
            f"{path}: has no semantic maps, but recipe {recipe.name!r} needs them ({semantic} targets "
            "'semantic'); pass a Facades folder of 512x256 photo | label files (srzoo data facades --to DIR) "
            "or use a -nosem recipe"
        )
    if wanted not in ("facades", "folder") and source.plugin == "folder":
        source = DataSource(wanted, path)
    return source


def _create_dataset(source: DataSource, recipe: Recipe, **kwargs: Any) -> Dataset[dict[str, Any]]:
    if source.plugin == "facades":
        kwargs["split"] = source.split
        any_semantic = kwargs.pop("semantic_if_any", False)
        kwargs["with_semantic"] = needs_semantic(recipe) is not None or any_semantic
    else:
        kwargs.pop("semantic_if_any", None)
    return api.create("dataset", source.plugin, root=source.root, scale=recipe.scale, **kwargs)


def training_dataset(source: DataSource, recipe: Recipe) -> Dataset[dict[str, Any]]:
    """The plugin's dataset yielding full-size ``hr`` (and ``semantic``) items; LR is made per batch."""
    return _create_dataset(source, recipe, degrade_on_device=True)


def validation_dataset(source: DataSource, recipe: Recipe) -> Dataset[dict[str, Any]]:
    """The held-out split with the protocol's LR (``round8(bicubic(hr))``) and semantic maps if any."""
    name, args = degradation_of(recipe)
    return _create_dataset(source, recipe, degradation=name, degradation_args=args, semantic_if_any=True)


def degradation_of(recipe: Recipe) -> tuple[str, dict[str, Any]]:
    """``(name, arguments)`` of the recipe's training degradation (``train.degradation``)."""
    spec = recipe.train.degradation if recipe.train is not None else None
    if spec is None:
        return "bicubic", {}
    if isinstance(spec, str):
        return spec, {}
    args = dict(spec)
    return str(args.pop("name")), args


def build_degradation(recipe: Recipe) -> tuple[Callable[..., torch.Tensor], bool]:
    """The recipe's degradation at its scale, and whether it takes a ``generator=`` keyword."""
    name, args = degradation_of(recipe)
    try:
        function = api.create("degradation", name, scale=recipe.scale, **args)
    except (InputError, RecipeError) as exc:
        raise RecipeError(recipe.source, "train.degradation", str(exc)) from None
    return function, accepts_keyword(function, "generator")


def image_sizes(dataset: Dataset[Any]) -> set[tuple[int, int]] | None:
    """The distinct ``(H, W)`` of a file-backed dataset's images (``None`` if it has no ``files``)."""
    files = getattr(dataset, "files", None)
    if files is None:
        return None
    scale = int(getattr(dataset, "scale", 1))
    if type(dataset).__name__ == "FacadesDataset":
        return {(FACADES_FILE[0] - FACADES_FILE[0] % scale, FACADES_FILE[0] - FACADES_FILE[0] % scale)}
    sizes = set()
    for file in files:
        h, w = image_size(file)
        sizes.add((h - h % scale, w - w % scale))
    return sizes


class PatchItems(Dataset[dict[str, torch.Tensor]]):
    """Cuts every item of a mixed-size dataset to ``patch`` pixels on the CPU, so that items batch.

    The window of item ``i`` in epoch ``e`` comes from a generator seeded by ``(seed, e, i)``, so the
    crop does not depend on worker processes or on where a resumed run restarts.
    """

    def __init__(self, dataset: Dataset[dict[str, Any]], patch: int, seed: int, step: int = 1) -> None:
        self.dataset = dataset
        self.patch = patch
        self.seed = seed
        self.step = step
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = self.dataset[index]
        generator = torch.Generator().manual_seed(hash((self.seed, self.epoch, index)) & 0x7FFF_FFFF_FFFF)
        height, width = item["hr"].shape[-2:]
        p, s = self.patch, self.step
        top = int(torch.randint(0, (height - p) // s + 1, (), generator=generator)) * s
        left = int(torch.randint(0, (width - p) // s + 1, (), generator=generator)) * s
        return {
            key: value[..., top : top + p, left : left + p].contiguous()
            for key, value in item.items()
            if isinstance(value, torch.Tensor)
        }


def tensors_only(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Collate the tensor fields of items (names and other metadata are dropped)."""
    keys = [key for key, value in items[0].items() if isinstance(value, torch.Tensor)]
    return {key: torch.stack([item[key] for item in items]) for key in keys}


class ResumableSampler(DistributedSampler[int]):
    """``DistributedSampler`` (seeded shuffle per epoch, one shard per rank) that can start an epoch
    part-way through, so that a resumed run sees exactly the batches an uninterrupted one would."""

    def __init__(self, dataset: Dataset[Any], num_replicas: int, rank: int, seed: int) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
        self.start = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.start :])

    def __len__(self) -> int:
        return self.num_samples - self.start


class BatchMaker:
    """Turns a collated CPU batch into the step's tensors on the device.

    ``(N, 3, H, W)`` ``hr`` (and ``semantic``) in ``[0, 1]`` → moved to ``device`` (non-blocking from
    pinned memory), randomly cropped to ``patch`` and flipped with one set of parameters for all
    images of a sample, then ``lr = round8(degradation(hr))``: ``(N, 3, patch/s, patch/s)``.

    Args:
        degradation: the built degradation (``hr -> lr``), called once per batch.
        takes_generator: pass ``generator=`` (a seeded ``torch.Generator`` on the device) to it.
        patch: HR crop side or ``None`` (whole images).
        flip: random horizontal flips.
        device: where the batch goes.
        seed: seeds the degradation's generator.
        channels_last: return 4-D tensors in ``channels_last`` memory format.
    """

    def __init__(
        self,
        degradation: Callable[..., torch.Tensor],
        takes_generator: bool,
        patch: int | None,
        flip: bool,
        device: torch.device,
        seed: int,
        channels_last: bool = False,
    ) -> None:
        import kornia.augmentation as K  # heavy to import: only when a run makes batches

        self.degradation = degradation
        if isinstance(degradation, torch.nn.Module):
            degradation.to(device)
        self.takes_generator = takes_generator
        self.device = device
        self.channels_last = channels_last
        self.generator = torch.Generator(device=device).manual_seed(seed) if takes_generator else None
        steps: list[torch.nn.Module] = []
        if patch is not None:
            steps.append(K.RandomCrop((patch, patch), p=1.0))
        if flip:
            steps.append(K.RandomHorizontalFlip(p=0.5))
        self.augment = K.AugmentationSequential(*steps) if steps else None
        self.patch = patch

    def __call__(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        keys = [key for key in ("hr", "semantic") if key in batch]
        images = [batch[key].to(self.device, non_blocking=True) for key in keys]
        if self.augment is not None:
            if self.patch is not None and min(images[0].shape[-2:]) < self.patch:
                raise InputError(
                    f"images are {images[0].shape[-1]}x{images[0].shape[-2]}, smaller than the patch size "
                    f"{self.patch}; lower train.patch_size (--patch-size)"
                )
            stacked = self.augment(torch.cat(images, dim=1))
            images = list(stacked.split([image.shape[1] for image in images], dim=1))
        out = dict(zip(keys, images, strict=True))
        with torch.no_grad():
            if self.generator is not None:
                lr = self.degradation(out["hr"], generator=self.generator)
            else:
                lr = self.degradation(out["hr"])
        out["lr"] = quantize_8bit(lr)
        if self.channels_last:
            out = {k: v.contiguous(memory_format=torch.channels_last) for k, v in out.items()}
        return out

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The degradation generator's state (empty without one)."""
        return {} if self.generator is None else {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        if self.generator is not None and "generator" in state:
            self.generator.set_state(state["generator"])
