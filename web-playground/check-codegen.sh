#!/usr/bin/env bash
# Fails (exit 1) when the committed web-playground/src/generated/ is not what
# GraphQL Code Generator makes of ../schema.graphql and the pages' operations
# (src/**/*.graphql) with the pinned versions.
#
# Regenerates with `npm ci && npm run codegen` in a temporary copy of this
# folder and of the repository's schema.graphql beside it (so the working tree
# is left alone), then compares the result with src/generated/ here. In a git
# checkout it also fails when src/generated/ has uncommitted changes, so "here"
# is the committed one (CHECK_CODEGEN_ALLOW_UNCOMMITTED=1 skips that, to check
# before committing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
schema="$here/../schema.graphql"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/web-playground-codegen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "check-codegen: FAIL: $*" >&2
  echo "check-codegen: regenerate with 'npm ci && npm run codegen' in web-playground/ and commit web-playground/src/generated/" >&2
  exit 1
}

[ -f "$schema" ] || fail "schema.graphql is missing beside web-playground/"
[ -d "$here/src/generated" ] || fail "web-playground/src/generated/ is missing"

if [ "${CHECK_CODEGEN_ALLOW_UNCOMMITTED:-0}" != 1 ] && git -C "$here" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  changes="$(git -C "$here" status --porcelain --untracked-files=all -- src/generated)"
  if [ -n "$changes" ]; then
    echo "$changes" >&2
    fail "web-playground/src/generated/ differs from the committed one (uncommitted changes above)"
  fi
fi

# The copy keeps the layout codegen.yml expects: the schema one level up.
mkdir -p "$tmp/web-playground"
cp "$schema" "$tmp/schema.graphql"
tar -C "$here" --exclude=./node_modules --exclude=./dist --exclude=./build --exclude=./src/generated -cf - . \
  | tar -C "$tmp/web-playground" -xf -

echo "check-codegen: generating in $tmp/web-playground"
(
  cd "$tmp/web-playground"
  npm ci --no-audit --no-fund --loglevel=error
  npm run codegen --silent
) >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "codegen failed"; }

if ! diff -r "$here/src/generated" "$tmp/web-playground/src/generated" >"$tmp/diff.txt" 2>&1; then
  head -n 50 "$tmp/diff.txt" >&2
  fail "web-playground/src/generated/ is out of date: a fresh codegen differs (see above)"
fi

echo "check-codegen: OK, web-playground/src/generated/ matches a fresh codegen ($(find "$here/src/generated" -type f | wc -l) files)"
