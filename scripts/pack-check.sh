#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack builds dist/), install the tarball into an
# empty folder with --omit=dev, then run the installed `facelens` on two images of ../shared/data.
# Prints the packed size and the installed node_modules size. Network: the npm registry only
# (ONNX Runtime's optional CUDA download is skipped).
# Usage: scripts/pack-check.sh [work dir]   (default: a fresh temp dir, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
work="${1:-$(mktemp -d)}"
[ $# -eq 0 ] && trap 'rm -rf "$work"' EXIT
export ONNXRUNTIME_NODE_INSTALL=skip
mkdir -p "$work/pack" "$work/app"

npm pack --silent --pack-destination "$work/pack" >/dev/null
tarball="$(ls "$work"/pack/facelens-*.tgz)"
if tar tzf "$tarball" | grep -E '^package/(src|test|bench|scripts)/|\.map$|\.ts$'; then
  echo "pack-check: the tarball ships sources, tests, bench or source maps (listed above)" >&2
  exit 1
fi
echo "pack-check: packed $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB, $(tar tzf "$tarball" | wc -l) files"

cd "$work/app"
echo '{ "name": "facelens-pack-check", "private": true }' > package.json
npm install --omit=dev --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
echo "pack-check: installed node_modules: $(du -sm node_modules | cut -f1) MiB"
if [ -d node_modules/typescript ] || [ -d node_modules/tsx ] || [ -d node_modules/playwright-core ]; then
  echo "pack-check: a dev-only package (typescript, tsx or playwright-core) was installed with --omit=dev" >&2
  exit 1
fi

models="$(npx --no-install facelens models)"
for m in dlib-resnet faceres mobilefacenet vggface; do
  grep -q "^$m " <<<"$models" || { echo "pack-check: \`facelens models\` does not list $m" >&2; exit 1; }
done
grep -q '^faceres  (224x224' <<<"$models" || { echo "pack-check: faceres did not load from the installed package" >&2; exit 1; }
echo "pack-check: facelens models: ok"

data="$repo/../shared/data/lfw/images"
if [ ! -d "$data" ]; then
  echo "pack-check: SKIPPED facelens embed: no ../shared/data/lfw"
  exit 0
fi
mapfile -t imgs < <(find "$data" -name '*.jpg' | sort | head -2)
npx --no-install facelens embed "${imgs[@]}" --out "$work/embed" --cache-dir "$work/cache" --quiet
node -e '
  const fs = require("fs");
  const dir = process.argv[1];
  const items = JSON.parse(fs.readFileSync(dir + "/items.json", "utf8"));
  const npy = fs.readFileSync(dir + "/features.npy");
  const header = npy.subarray(10, 10 + npy.readUInt16LE(8)).toString();
  if (items.length !== 2 || !/shape.: \(2, 128\)/.test(header)) {
    console.error("pack-check: facelens embed wrote", items.length, "items,", header.trim());
    process.exit(1);
  }
' "$work/embed"
echo "pack-check: facelens embed on 2 images: ok"
