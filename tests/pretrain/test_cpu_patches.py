"""One test per CUDA hard-code of megatron-core 0.16.1 that `cpu_patches` redirects to the CPU."""

from __future__ import annotations

import importlib

import pytest
import torch

from nemo_repro.pretrain import cpu_patches

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="the patches apply only without CUDA")


@pytest.fixture(scope="module", autouse=True)
def patched():
    assert cpu_patches.apply() is True
    assert cpu_patches.apply() is True  # idempotent


def test_global_memory_buffer_allocates_on_cpu():
    from megatron.core.utils import GlobalMemoryBuffer

    buf = GlobalMemoryBuffer().get_tensor((3, 4), torch.float32, "mpu")
    assert buf.shape == (3, 4) and buf.device.type == "cpu"


def test_rng_tracker_fork_is_a_no_op():
    from megatron.core.tensor_parallel import get_cuda_rng_tracker

    tracker = get_cuda_rng_tracker()
    tracker.add("model-parallel-rng", 123)  # a CUDA tracker would need a GPU here
    before = torch.get_rng_state()
    with tracker.fork():
        pass
    assert torch.equal(before, torch.get_rng_state())


def test_p2p_communication_buffers_on_cpu_and_no_cuda_sync():
    p2p = importlib.import_module("megatron.core.pipeline_parallel.p2p_communication")
    assert p2p.torch.cuda.current_device() == "cpu"
    assert p2p.torch.empty((3,), device=p2p.torch.cuda.current_device(), dtype=torch.int64).device.type == "cpu"
    p2p.torch.cuda.synchronize()  # no-op instead of "Torch not compiled with CUDA enabled"
    assert torch.cuda is not p2p.torch.cuda and p2p.torch.distributed is torch.distributed  # the real torch is untouched


def test_schedules_token_counter_on_cpu():
    schedules = importlib.import_module("megatron.core.pipeline_parallel.schedules")
    counter = schedules.torch.zeros([], dtype=torch.int, device="cuda")
    assert counter.device.type == "cpu"
    assert schedules.torch.autograd is torch.autograd


def test_rotary_embedding_runs_on_cpu():
    from megatron.core.models.common.embeddings.rotary_pos_embedding import RotaryEmbedding

    emb = RotaryEmbedding(kv_channels=16, rotary_percent=1.0, use_cpu_initialization=True)
    assert emb(8).shape == (8, 1, 1, 16)


def test_default_causal_mask_on_cpu():
    from megatron.core.transformer.utils import get_default_causal_mask

    mask = get_default_causal_mask(4)
    assert mask.device.type == "cpu" and mask.dtype == torch.bool
    assert mask.tolist()[0] == [False, True, True, True]


def test_checkpoint_writer_does_not_need_cuda():
    saver = importlib.import_module("megatron.core.dist_checkpointing.strategies.state_dict_saver")
    writer = importlib.import_module("megatron.core.dist_checkpointing.strategies.filesystem_async")
    assert saver.torch.tensor([1], dtype=torch.int, device="cuda").device.type == "cpu"
    writer.torch.cuda.synchronize()


def test_nothing_is_patched_when_cuda_is_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert cpu_patches.apply() is False
