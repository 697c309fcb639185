#!/usr/bin/env bash
# The packed package, installed as a user installs it, in a fresh ES-module project and, inside
# it, a CommonJS package (one install, both module systems): the library works, `design new` +
# `check --design-file` work with designs that import zswap-ts/design, a copied example works,
# and a copy of D0 is found buggy. Run by .ci/run after the tests.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$work" && npm pack "$repo" --silent | tail -1)"
proj="$work/proj"
mkdir -p "$proj/cjs"
cd "$proj"
printf '{ "name": "smoke", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
printf '{ "name": "smoke-cjs", "version": "1.0.0", "private": true, "type": "commonjs" }\n' > cjs/package.json
npm install "$work/$tarball" --no-audit --no-fund --silent
bin="$proj/node_modules/zswap-ts/bin/zswap-ts.js"
node "$bin" --version
for dir in "$proj" "$proj/cjs"; do
  cd "$dir"
  node "$bin" design new Mine > /dev/null
  node "$bin" check --design-file Mine.ts -s C1 | head -1 | grep -q "Mine x C1: verified"
  cp "$proj/node_modules/zswap-ts/examples/d1b_migrate_disable.ts" d1b.ts
  node "$bin" check --design-file d1b.ts -s C1 | head -1 | grep -q "D1b x C1: verified"
  if [ "$dir" = "$proj" ]; then
    printf 'import { D0, defineDesign } from "zswap-ts/design";\nexport default defineDesign({ ...D0, name: "Bad" });\n' > bad.js
    printf 'import { createZswap } from "zswap-ts";\n' > lib.js
  else
    printf 'const { D0, defineDesign } = require("zswap-ts/design");\nmodule.exports = defineDesign({ ...D0, name: "Bad" });\n' > bad.js
    printf 'const { createZswap } = require("zswap-ts");\n' > lib.js
  fi
  # D0 is the 6.12 use-after-free: the copied design must really be checked (exit 1).
  set +e
  node "$bin" check --design-file bad.js -s C1 > bad.out
  status=$?
  set -e
  [ "$status" = 1 ] && grep -q "BUG: KASAN: slab-use-after-free" bad.out
  printf '%s\n' 'const z = createZswap({ totalRamBytes: 2 ** 30 });' \
    'const p = new Uint8Array(4096).fill(3, 9);' \
    'if (Buffer.compare(z.swapInSync(z.swapOutSync(p)), p) !== 0) throw new Error("page changed");' \
    'z.close().then(() => console.log("library round trip ok"));' >> lib.js
  node lib.js
  echo "pack smoke ($(node -p 'require("./package.json").type')): ok"
done

# Without a C++ toolchain: make and the compilers fail (as on a machine without them), so the
# optional native bindings (lz4, lzo, zstd-napi) cannot build and npm leaves them out. The
# install must succeed, `check` must work, deflate (node:zlib) must work, and asking for a
# missing compressor must be one line naming it and how to get it (exit 2).
notool="$work/notool"
mkdir -p "$notool/bin" "$notool/proj"
for t in make gcc g++ cc c++; do
  printf '#!/bin/sh\necho "%s: no toolchain here (pack_smoke)" >&2\nexit 127\n' "$t" > "$notool/bin/$t"
  chmod +x "$notool/bin/$t"
done
cd "$notool/proj"
printf '{ "name": "smoke-notool", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
PATH="$notool/bin:$PATH" npm install "$work/$tarball" --no-audit --no-fund --silent
[ ! -e node_modules/lzo/build/Release ] || { echo "pack smoke (no toolchain): lzo was built" >&2; exit 1; }
bin="$notool/proj/node_modules/zswap-ts/bin/zswap-ts.js"
node "$bin" check -d D7 -s C1 | head -1 | grep -q "D7 x C1: verified"
node "$bin" run --compressor deflate --size 1M | grep -q "^deflate "
set +e
node "$bin" run --compressor lzo --size 1M 2> lzo.err
status=$?
set -e
[ "$status" = 2 ] && [ "$(wc -l < lzo.err)" = 1 ] &&
  grep -q "^zswap-ts: lzo is not installed: .*npm rebuild lzo" lzo.err
echo "pack smoke (no toolchain): ok"
