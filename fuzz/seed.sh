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
