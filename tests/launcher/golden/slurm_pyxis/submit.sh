#!/bin/bash
# Submit every stage of this launch; each waits for the previous one to succeed (afterok)
# and is cancelled if it fails (--kill-on-invalid-dep). Prints `<stage> <jobid>` per job.
set -euo pipefail
cd "$(dirname "$0")"
rl_job=$(sbatch --parsable rl.sbatch)
rl_job=${rl_job%%;*}
echo "rl $rl_job"
recycle_job=$(sbatch --parsable --dependency=afterok:$rl_job --kill-on-invalid-dep=yes recycle.sbatch)
recycle_job=${recycle_job%%;*}
echo "recycle $recycle_job"
pretrain_job=$(sbatch --parsable --dependency=afterok:$recycle_job --kill-on-invalid-dep=yes pretrain.sbatch)
pretrain_job=${pretrain_job%%;*}
echo "pretrain $pretrain_job"
evaluate_job=$(sbatch --parsable --dependency=afterok:$pretrain_job --kill-on-invalid-dep=yes evaluate.sbatch)
evaluate_job=${evaluate_job%%;*}
echo "evaluate $evaluate_job"
