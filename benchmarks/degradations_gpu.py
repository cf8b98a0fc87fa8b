"""GPU timing: making LR on the fly with ``realesrgan`` beside one Stage-GAN ×4 training step.

On a CUDA machine: ``.venv/bin/python benchmarks/degradations_gpu.py``. Prints, with medians of
CUDA-synchronised runs after warm-up,

- ``realesrgan`` ×4 on a 16×3×256×256 batch on the GPU (and the same batch on the CPU, for the ratio);
- ``realesrgan`` ×4 on Stage-GAN's training batch (1×3×256×256) beside one full Stage-GAN ×4 training
  step on it (three generators and three PatchGAN critics, forward and backward, Adam steps, as the
  ``stagegan-x4`` recipe's losses and critics say), so a reader sees the share of the step that
  synthesising the LR costs.

Without CUDA it says so and exits 0.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

import srzoo


def median_ms(fn: Callable[[], object], device: torch.device, repeats: int = 20, warmup: int = 3) -> float:
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def stagegan_step(device: torch.device) -> Callable[[torch.Tensor], None]:
    """One generator + critics update of ``stagegan-x4`` on an HR batch in ``[0, 1]`` (LR by bicubic)."""
    recipe = srzoo.get_recipe("stagegan-x4")
    model = srzoo.build(recipe).to(device).train()
    critics = {
        c.name: srzoo.create("discriminator", c.component, **c.args).to(device).train()
        for c in recipe.train.critics
    }
    specs = {c.name: c for c in recipe.train.critics}
    opt_g = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(
        [p for d in critics.values() for p in d.parameters()], lr=2e-4, betas=(0.5, 0.999)
    )
    down = srzoo.create("degradation", "bicubic", scale=recipe.scale)

    def judge(name: str, outputs: dict[str, torch.Tensor], image: torch.Tensor) -> torch.Tensor:
        spec = specs[name]
        return critics[name](torch.cat([*(outputs[k] for k in spec.condition), image], dim=1))

    def step(hr: torch.Tensor) -> None:
        lr = down(hr)
        truth = {"hr": hr * 2 - 1, "semantic": torch.rand_like(hr) * 2 - 1}
        outputs = model.run_graph(lr * 2 - 1)
        detached = {k: v.detach() for k, v in outputs.items()}
        opt_d.zero_grad(set_to_none=True)
        d_loss = 0.0
        for name, spec in specs.items():
            fake, real = (
                judge(name, detached, detached[spec.judges]),
                judge(name, detached, truth[spec.target]),
            )
            d_loss = d_loss + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            d_loss = d_loss + F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = 0.0
        for term in recipe.train.losses:
            if term.critic is not None:
                score = judge(term.critic, outputs, outputs[term.node])
                g_loss = g_loss + term.weight * F.binary_cross_entropy_with_logits(
                    score, torch.ones_like(score)
                )
            else:
                g_loss = g_loss + term.weight * F.l1_loss(outputs[term.node], truth[term.target])
        g_loss.backward()
        opt_g.step()

    return step


def main() -> None:
    if not torch.cuda.is_available():
        print(
            "no CUDA device: nothing to time (the CPU comparison is tests/benchmarks/test_bench_degradations.py)"
        )
        return
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    deg = srzoo.create("degradation", "realesrgan", scale=4)
    g_cuda = torch.Generator(device=cuda).manual_seed(0)
    g_cpu = torch.Generator().manual_seed(0)
    hr16 = torch.rand(16, 3, 256, 256, generator=g_cuda, device=cuda)
    with torch.no_grad():
        gpu16 = median_ms(lambda: deg(hr16, generator=g_cuda), cuda)
        cpu16 = median_ms(lambda: deg(hr16.cpu(), generator=g_cpu), cpu, repeats=5, warmup=1)
    print(f"realesrgan x4 16x3x256x256: cuda {gpu16:.2f} ms, cpu {cpu16:.1f} ms ({cpu16 / gpu16:.1f}x)")

    hr1 = hr16[:1].contiguous()
    step = stagegan_step(cuda)
    with torch.no_grad():
        lr_ms = median_ms(lambda: deg(hr1, generator=g_cuda), cuda)
    step_ms = median_ms(lambda: step(hr1), cuda, repeats=10)
    print(
        f"stagegan-x4 training step on 1x3x256x256: {step_ms:.1f} ms; realesrgan on the same batch: "
        f"{lr_ms:.2f} ms = {100 * lr_ms / step_ms:.1f}% of the step"
    )
    step16 = median_ms(lambda: step(hr16), cuda, repeats=5)
    print(
        f"stagegan-x4 training step on 16x3x256x256: {step16:.1f} ms; realesrgan on it: {gpu16:.2f} ms = "
        f"{100 * gpu16 / step16:.1f}% of the step"
    )


if __name__ == "__main__":
    main()
