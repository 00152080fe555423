# Sourced first by the deploy end-to-end scripts (run.sh, stranger.sh): where the repository and
# the binary are, the demo's helpers (scripts/demo/common.sh), and E2E_ONLY as ONLY.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DEMO_ROOT=$ROOT
SLIPWAY=${SLIPWAY:-$ROOT/build/src/cli/slipway}
export SLIPWAY
# shellcheck source=../../scripts/demo/common.sh
source "$ROOT/scripts/demo/common.sh"
ONLY=${E2E_ONLY:-.}

# The binary and the example app's node_modules (the notes app borrows its pg) are there.
e2e_prepare() {
  command -v psql >/dev/null || die "psql not found"
  command -v node >/dev/null || die "node not found"
  [[ -x $SLIPWAY ]] || die "no slipway binary at $SLIPWAY"
  if [[ ! -d $DEMO_APP/node_modules/pg ]]; then
    (cd "$DEMO_APP" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The end of a script's EXIT trap: stops what demo_* started, removes WORK (unless KEEP_WORK=1)
# and exits with RC.
e2e_end() {
  demo_stop_all
  if [[ ${KEEP_WORK:-} == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$1"
}

# run_slipway ARGS...: `slipway ARGS... --config $CONFIG`, its output in $OUT (a new file under
# $DEMO_DIR each time), its exit code in $code.
run_slipway() {
  RUNS=$((RUNS + 1))
  OUT=$DEMO_DIR/$1-$RUNS.out
  set +e
  "$SLIPWAY" "$@" --config "$CONFIG" >"$OUT" 2>&1
  code=$?
  set -e
  echo "slipway $* -> exit $code"
}
