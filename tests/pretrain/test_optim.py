"""The optimizer helpers of the GPU path that run on CPU: priming torch Adam's state, un-sharing restored steps."""

from __future__ import annotations

import torch

from nemo_repro.pretrain.optim import prime_adam_state, unshare_steps


def _two_params(seed: int) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(4, 3, generator=gen)), torch.nn.Parameter(torch.randn(3, generator=gen))]


def _run(adam: torch.optim.Optimizer, params: list[torch.nn.Parameter], steps: int) -> None:
    for step in range(steps):
        for i, p in enumerate(params):
            p.grad = torch.full_like(p, 0.1 * (step + 1) * (i + 1))
        adam.step()


def test_primed_state_gives_the_same_updates_as_an_empty_one():
    fresh, primed = _two_params(0), _two_params(0)
    a = torch.optim.AdamW(fresh, lr=1e-2, weight_decay=0.1)
    b = torch.optim.AdamW(primed, lr=1e-2, weight_decay=0.1)
    prime_adam_state(b)
    assert {float(s["step"]) for s in b.state.values()} == {0.0} and len(b.state) == 2
    _run(a, fresh, 3)
    _run(b, primed, 3)
    for p, q in zip(fresh, primed):
        assert torch.equal(p, q)
    assert [float(s["step"]) for s in b.state.values()] == [3.0, 3.0]


def test_restored_shared_step_is_split_per_parameter():
    params = _two_params(1)
    adam = torch.optim.AdamW(params, lr=1e-2, foreach=False)
    prime_adam_state(adam)
    shared = torch.tensor(5.0)
    for state in adam.state.values():
        state["step"] = shared  # what megatron's distributed optimizer restores without TE/Apex
    unshare_steps(adam)
    _run(adam, params, 1)
    assert [float(s["step"]) for s in adam.state.values()] == [6.0, 6.0]
    assert float(shared) == 5.0
