"""Registry-driven tests: every registered generator, discriminator and loss is smoke-tested.

Each component declares how to test itself in its registration's ``examples`` (test fixtures, see
``srzoo.Examples`` and docs/recipes.md, "Component metadata"):

* ``args``: small, fast keyword arguments for its factory;
* ``input``: for networks, the shape of one input tensor, e.g. ``(2, 3, 16, 16)``; for losses,
  a list of call arguments where each tuple is a tensor shape and anything else is passed as is,
  e.g. ``[(2, 1, 6, 6), True]``;
* ``output`` (networks): the expected output shape.

A newly registered component is covered without touching this file.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import srzoo

NETWORK_KINDS = ("generator", "discriminator")


def _entries(kinds: tuple[str, ...]) -> list[Any]:
    return [
        pytest.param(kind, name, id=f"{kind}:{name}")
        for kind in kinds
        for name in srzoo.list_components(kind)
    ]


def _example(kind: str, name: str) -> tuple[dict[str, Any], Any, Any]:
    examples = srzoo.describe(kind, name).metadata.examples
    assert examples is not None and examples.input is not None, (
        f"{kind} {name!r} does not declare its smoke test; register it with e.g. "
        "examples=srzoo.Examples(args={...small args...}, input=(1, 3, 16, 16))"
    )
    return dict(examples.args), examples.input, examples.output


def _arguments(spec: Any, generator: torch.Generator) -> list[Any]:
    """Turn an ``example_input`` into call arguments: shapes become random tensors."""
    if isinstance(spec, tuple) and all(isinstance(d, int) for d in spec):
        spec = [spec]
    return [
        torch.randn(item, generator=generator)
        if isinstance(item, tuple) and all(isinstance(d, int) for d in item)
        else item
        for item in spec
    ]


def _as_tensor(output: Any) -> torch.Tensor:
    assert isinstance(output, torch.Tensor), f"expected a tensor output, got {type(output).__name__}"
    return output


@pytest.mark.parametrize(("kind", "name"), _entries(NETWORK_KINDS + ("loss",)))
def test_registration_metadata(kind: str, name: str) -> None:
    entry = srzoo.describe(kind, name)
    _example(kind, name)
    assert entry.metadata.description, f"{kind} {name!r} has no description"
    assert entry.metadata.license, f"{kind} {name!r} has no license"


@pytest.mark.parametrize(("kind", "name"), _entries(NETWORK_KINDS))
def test_network_smoke(kind: str, name: str) -> None:
    args, spec, expected = _example(kind, name)
    torch.manual_seed(0)
    net = srzoo.create(kind, name, **args)
    assert isinstance(net, nn.Module)
    inputs = _arguments(spec, torch.Generator().manual_seed(0))
    net.eval()
    with torch.no_grad():
        first = _as_tensor(net(*inputs))
        second = _as_tensor(net(*inputs))
    if expected is not None:
        assert tuple(first.shape) == tuple(expected)
    assert first.is_floating_point() and torch.isfinite(first).all()
    assert torch.equal(first, second), "eval mode must be deterministic"


@pytest.mark.parametrize(("kind", "name"), _entries(NETWORK_KINDS))
def test_network_gradient_reaches_every_parameter(kind: str, name: str) -> None:
    args, spec, _ = _example(kind, name)
    torch.manual_seed(0)
    net = srzoo.create(kind, name, **args).train()
    inputs = _arguments(spec, torch.Generator().manual_seed(1))
    for x in inputs:
        if isinstance(x, torch.Tensor):
            x.requires_grad_(True)
    out = _as_tensor(net(*inputs))
    (out * torch.randn_like(out)).sum().backward()
    trainable = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    dead = [n for n, p in trainable if p.grad is None]
    assert not dead, f"{kind} {name!r}: no gradient reaches {dead}"
    assert all(x.grad is not None for x in inputs if isinstance(x, torch.Tensor))


@pytest.mark.parametrize(("kind", "name"), _entries(NETWORK_KINDS))
def test_network_state_dict_round_trip(kind: str, name: str) -> None:
    args, spec, _ = _example(kind, name)
    torch.manual_seed(0)
    a = srzoo.create(kind, name, **args).eval()
    torch.manual_seed(1)
    b = srzoo.create(kind, name, **args).eval()
    b.load_state_dict(a.state_dict())
    inputs = _arguments(spec, torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(_as_tensor(a(*inputs)), _as_tensor(b(*inputs)))


@pytest.mark.parametrize(("kind", "name"), _entries(("loss",)))
def test_loss_smoke(kind: str, name: str) -> None:
    args, spec, _ = _example(kind, name)
    loss = srzoo.create(kind, name, **args)
    inputs = _arguments(spec, torch.Generator().manual_seed(0))
    inputs[0].requires_grad_(True)
    value = _as_tensor(loss(*inputs))
    assert value.shape == () and torch.isfinite(value)
    value.backward()
    assert inputs[0].grad is not None and torch.isfinite(inputs[0].grad).all()
    # the same inputs give the same value
    assert torch.equal(
        value.detach(), loss(*[x.detach() if isinstance(x, torch.Tensor) else x for x in inputs]).detach()
    )
