#!/usr/bin/env bash
# Fails (exit 1) when the committed web-playground/dist/ is not what its sources build to.
#
# Rebuilds with `npm ci && npm run build` in a temporary copy of this folder (so the
# working tree is left alone, and a build that depends on its path is caught too),
# then compares the result with dist/ here. In a git checkout it also fails when
# dist/ has uncommitted changes, so "dist/ here" is the committed one
# (CHECK_DIST_ALLOW_UNCOMMITTED=1 skips that, to check a build before committing it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/web-playground-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-dist: FAIL: $*" >&2
  echo "check-dist: rebuild with 'npm ci && npm run build' in web-playground/ and commit web-playground/dist/" >&2
  exit 1
}

[ -f "$here/dist/index.html" ] || fail "web-playground/dist/index.html is missing"

if [ "${CHECK_DIST_ALLOW_UNCOMMITTED:-0}" != 1 ] && git -C "$here" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  changes="$(git -C "$here" status --porcelain --untracked-files=all -- dist)"
  if [ -n "$changes" ]; then
    echo "$changes" >&2
    fail "web-playground/dist/ differs from the committed one (uncommitted changes above)"
  fi
fi

# Copy the sources, leaving out what the build makes or installs.
tar -C "$here" --exclude=./node_modules --exclude=./dist --exclude=./build -cf - . | tar -C "$tmp" -xf -

echo "check-dist: building in $tmp"
(
  cd "$tmp"
  npm ci --no-audit --no-fund --loglevel=error
  npm run build --silent
) >"$tmp.log" 2>&1 || { cat "$tmp.log" >&2; rm -f "$tmp.log"; fail "the build failed"; }
rm -f "$tmp.log"

if ! diff -r "$here/dist" "$tmp/dist" >"$tmp/diff.txt" 2>&1; then
  head -n 50 "$tmp/diff.txt" >&2
  fail "web-playground/dist/ is out of date: a fresh build differs (see above)"
fi

echo "check-dist: OK, web-playground/dist/ matches a fresh build ($(find "$here/dist" -type f | wc -l) files)"
