#!/bin/bash
# Stage `evaluate` of a nemo_repro launch, rendered by `nemo-repro launch`.
# Run by hand with `bash evaluate.sh`.
set -euo pipefail
cd /work/project

export PATH=/opt/venv/bin:"$PATH"
python -m nemo_repro.cli evaluate \
    run.dir=/results/demo/evaluate \
    evaluate.model=/results/demo/pretrain/checkpoints \
    evaluate.data_dir=/data/eval
