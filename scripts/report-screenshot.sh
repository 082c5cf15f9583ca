#!/usr/bin/env bash
# Renders the sample canary report (examples/judge.rs on examples/data/) to HTML, screenshots it
# in headless Chromium, and fails on a blank page or on console errors.
#
# Usage: scripts/report-screenshot.sh [OUT_DIR]   (default: target/report-screenshot)
# Writes OUT_DIR/report.html, OUT_DIR/report.png, OUT_DIR/result.json, OUT_DIR/chromium.log.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="${1:-target/report-screenshot}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium not found; installing the Debian package" >&2
  # A fresh machine has no package lists yet: update them first.
  timeout 600 apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q chromium >&2
fi

cargo run --quiet --release --example judge -- \
  --config examples/data/canary-config.json --pairs examples/data/pairs.json \
  --pass 95 --marginal 75 --mode default --html "$OUT/report.html" > "$OUT/result.json"

if grep -Eq '(src|href)="https?:' "$OUT/report.html"; then
  echo "FAIL: the report references the network" >&2
  exit 1
fi

PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
rm -f "$OUT/report.png"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --enable-logging=stderr --v=0 \
  --hide-scrollbars --window-size=1280,2200 --screenshot="$OUT/report.png" \
  "file://$OUT/report.html" > "$OUT/chromium.log" 2>&1 || {
    echo "FAIL: chromium exited with an error" >&2
    cat "$OUT/chromium.log" >&2
    exit 1
  }

if grep -E 'CONSOLE|Uncaught|console\.error' "$OUT/chromium.log" >&2; then
  echo "FAIL: console messages while rendering the report (see above)" >&2
  exit 1
fi
test -s "$OUT/report.png" || { echo "FAIL: no screenshot written" >&2; exit 1; }

# A blank page is one colour: decode the PNG (zlib + scanline filters) and count colours.
python3 - "$OUT/report.png" <<'PY'
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind = data[pos + 4:pos + 8]
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
width, height, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and interlace == 0, f"unsupported PNG: depth {depth}, interlace {interlace}"
bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
colours = set()
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 3):
            colours.add(bytes(line[x:x + bpp]))
    prev = line
print(f"report.png: {width}x{height}, {len(colours)} distinct colours sampled")
if len(colours) < 8:
    sys.exit("FAIL: the screenshot is (nearly) a single colour: blank page")
PY
echo "OK: $OUT/report.png"
