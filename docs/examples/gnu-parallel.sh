#!/bin/sh
# One cell's exhaustive search in 8 shards with GNU parallel (docs/checking.md, "Shards and
# merge"): on this machine (-j: processes at a time), or on others with --sshlogin, each of
# which needs the same zswap-ts version (--return brings the result files back).
#
#   sh docs/examples/gnu-parallel.sh            # here
#   SSH="--sshlogin 4/host1,4/host2 --return d7-c14-{}.json --cleanup" sh docs/examples/gnu-parallel.sh
set -eu
N=8
parallel ${SSH:-} -j "${JOBS:-4}" --halt now,fail=1 \
  zswap-ts check -d D7 -s C14 --bound 3 --dfs-executions 10000000 --jobs 1 \
  --shard {}/$N --shard-file d7-c14-{}.json ::: $(seq 0 $((N - 1)))
zswap-ts merge d7-c14-*.json
