#!/usr/bin/env bash
# End-to-end test of .pre-commit-hooks.yaml (issue #6): pre-commit from PyPI, a scratch infra repo
# with a rediform.toml and a workload file, and the hooks as a user's .pre-commit-config.yaml
# would run them: its .pre-commit-config.yaml names a clone of this repository's HEAD (commit
# first to test a change); pre-commit builds rediform from it with cargo once and caches it.
# Usage: tests/pre-commit/run.sh
# (needs python3 with venv, git, cargo; reaches PyPI and crates.io)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone --quiet "$here" "$work/rediform"
hooks="$work/rediform"
rev=$(git -C "$hooks" rev-parse HEAD)

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "pre-commit==4.*"
export PATH="$work/venv/bin:$PATH"
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$HOME/.cache/rediform-pre-commit}"

repo="$work/infra"
mkdir -p "$repo/workloads"
cd "$repo"
git init --quiet
git config user.email ci@example.com
git config user.name ci
cp "$here/fixtures/session-store.toml" workloads/
printf 'out = "modules"\nworkloads = ["workloads"]\n' >rediform.toml
printf '[formatting]\nalign_entries = true\n' >taplo.toml
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: rediform-generate
      - id: rediform-check
YAML
git add -A

expect() { # expect EXIT-CODE TEXT COMMAND...: runs COMMAND, checks its exit code and its output
  local code=$1 text=$2 out rc=0
  shift 2
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$code" ] || ! grep -qF -- "$text" <<<"$out"; then
    printf 'FAILED: %s\nexpected exit %s and "%s", got exit %s:\n%s\n' "$*" "$code" "$text" "$rc" "$out"
    exit 1
  fi
  printf 'ok: %s -> exit %s, "%s"\n' "$*" "$rc" "$text"
}

# 1. A workload without its module: the check hook fails, names the files and the fix.
expect 1 "modules/checkout-sessions/main.tf would be created" \
  pre-commit run rediform-check --files workloads/session-store.toml taplo.toml
expect 1 "fix: rediform generate workloads/session-store.toml" \
  pre-commit run rediform-check --files workloads/session-store.toml taplo.toml

# 2. The generate hook writes the module and fails the run (--exit-code) so it can be reviewed.
expect 1 "modules/checkout-sessions: 13 created" \
  pre-commit run rediform-generate --files workloads/session-store.toml taplo.toml
test -f modules/checkout-sessions/main.tf
git add -A

# 3. Up to date: both hooks pass, and a run over all files passes too.
expect 0 "Passed" pre-commit run rediform-check --files workloads/session-store.toml taplo.toml
expect 0 "Passed" pre-commit run rediform-generate --all-files

# 4. A hand edit of a generated file is drift again.
sed -i 's/num_cache_clusters = 2/num_cache_clusters = 3/' modules/checkout-sessions/main.tf
git add modules/checkout-sessions/main.tf # pre-commit checks what is staged
expect 1 "modules/checkout-sessions/main.tf was edited by hand" \
  pre-commit run rediform-check --files workloads/session-store.toml

echo "1 passed, 0 failed"
