#!/bin/sh
# One cell's exhaustive search in 8 shards as a Slurm job array (docs/checking.md, "Shards and
# merge"). Task i of the array runs part i/8; the merge runs once every task has finished:
#
#   jobid=$(sbatch --parsable docs/examples/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap 'zswap-ts merge results/d7-c14-*.json > d7-c14.txt'
#
# results/ must be on a file system every node sees (your home or a scratch file system).
#SBATCH --job-name=zswap-d7-c14
#SBATCH --array=0-7
#SBATCH --cpus-per-task=1
#SBATCH --mem=512M
#SBATCH --time=02:00:00
#SBATCH --output=results/d7-c14-%a.log
set -eu
mkdir -p results
zswap-ts check -d D7 -s C14 --bound 3 --dfs-executions 10000000 --jobs 1 \
  --shard "$SLURM_ARRAY_TASK_ID/8" \
  --shard-file "results/d7-c14-$SLURM_ARRAY_TASK_ID.json"
