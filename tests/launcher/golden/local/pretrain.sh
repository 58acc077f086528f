#!/bin/bash
# Stage `pretrain` of a nemo_repro launch, rendered by `nemo-repro launch`.
# Run by hand with `bash pretrain.sh`.
set -euo pipefail
cd /work/project

export PATH=/opt/venv/bin:"$PATH"
torchrun --standalone --nproc_per_node=2 -m nemo_repro.cli pretrain \
    run.dir=/results/demo/pretrain \
    pretrain.data=/results/demo/recycle/megatron/blend.json \
    pretrain.tokenizer=/results/demo/rl/final \
    pretrain.train_iters=2
