#!/bin/bash
# Stage `recycle` of a nemo_repro launch, rendered by `nemo-repro launch`.
# Run by hand with `bash recycle.sh`.
set -euo pipefail
cd /work/project

export PATH=/opt/venv/bin:"$PATH"
python -m nemo_repro.cli recycle \
    run.dir=/results/demo/recycle \
    recycle.rephraser=/results/demo/rl/final
