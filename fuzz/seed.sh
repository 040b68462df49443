#!/bin/sh
# Copies the seed corpus for the spec_loader target: every spec file and
# every bad-spec fixture. Run from anywhere; the corpus is not committed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/fuzz/corpus/spec_loader"
mkdir -p "$out"
{
    find "$root/spec" -type f -name '*.md'
    find "$root/fixtures/bad-specs" -type f
} | while read -r f; do
    rel=${f#"$root"/}
    cp "$f" "$out/seed-$(printf '%s' "$rel" | tr '/' '_')"
done
echo "$(ls "$out" | wc -l) files in $out"

# The h1_request target: every request of fixtures/http/h1-inputs.json,
# expanded, after a byte that picks its piece size (7).
out="$root/fuzz/corpus/h1_request"
mkdir -p "$out"
node -e '
const fs = require("fs");
const inputs = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
for (const [name, t] of Object.entries(inputs)) {
  const raw = t.replace(/%REPEAT:(\d+):(.)%/g, (_, n, c) => c.repeat(Number(n)));
  fs.writeFileSync(process.argv[2] + "/seed-" + name, Buffer.concat([Buffer.from([7]), Buffer.from(raw, "latin1")]));
}' "$root/fixtures/http/h1-inputs.json" "$out"
echo "$(ls "$out" | wc -l) files in $out"

# The h1_response target: every response of fixtures/http/h1-responses.json
# after a byte that picks GET or HEAD and a piece size of 3.
out="$root/fuzz/corpus/h1_response"
mkdir -p "$out"
node -e '
const fs = require("fs");
const cases = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
for (const [name, c] of Object.entries(cases)) {
  const first = (3 << 1) | (c.method === "HEAD" ? 1 : 0);
  fs.writeFileSync(process.argv[2] + "/seed-" + name, Buffer.concat([Buffer.from([first]), Buffer.from(c.response, "latin1")]));
}' "$root/fixtures/http/h1-responses.json" "$out"
echo "$(ls "$out" | wc -l) files in $out"
