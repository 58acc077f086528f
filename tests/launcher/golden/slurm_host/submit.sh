#!/bin/bash
# Submit every stage of this launch; each waits for the previous one to succeed (afterok)
# and is cancelled if it fails (--kill-on-invalid-dep). Prints `<stage> <jobid>` per job.
set -euo pipefail
cd "$(dirname "$0")"
pretrain_job=$(sbatch --parsable pretrain.sbatch)
pretrain_job=${pretrain_job%%;*}
echo "pretrain $pretrain_job"
evaluate_job=$(sbatch --parsable --dependency=afterok:$pretrain_job --kill-on-invalid-dep=yes evaluate.sbatch)
evaluate_job=${evaluate_job%%;*}
echo "evaluate $evaluate_job"
