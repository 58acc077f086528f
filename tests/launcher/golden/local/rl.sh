#!/bin/bash
# Stage `rl` of a nemo_repro launch, rendered by `nemo-repro launch`.
# Run by hand with `bash rl.sh`.
set -euo pipefail
cd /work/project

export PATH=/opt/venv/bin:"$PATH"
accelerate launch --num_machines=1 --num_processes=2 --mixed_precision=no --dynamo_backend=no \
    --multi_gpu \
    --main_process_port=29500 -m nemo_repro.cli rl \
    run.dir=/results/demo/rl
