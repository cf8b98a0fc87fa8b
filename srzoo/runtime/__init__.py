"""Where code runs: device choice, ``torchrun`` process groups and memory probes.

* `devices`: ``--device auto|cpu|cuda|mps`` to a checked ``torch.device``;
* `distributed`: joining the ``torchrun`` job (bench shards images, train wraps in DDP);
* `memory`: peak memory of a block (CUDA allocator, or the process's resident set on Linux).

Nothing here knows about models or recipes.
"""
