# Shared by run.sh and probe.sh (sourced, not run): building and finding the release
# binaries, the work directory and the processes stopped on exit, and waiting for a server to
# announce its address. The sourcing script sets ROOT and TARGET and defines die().

# build_bins [--no-build]: builds the release binaries of apigw-proxy (unless --no-build),
# checks they are there and sets BIN.
build_bins() {
  if [ "${1:-}" != "--no-build" ]; then
    echo "== cargo build --release -p apigw-proxy --bins" >&2
    (cd "$ROOT" && cargo build --release --locked -q -p apigw-proxy --bins)
  fi
  BIN=$TARGET/release
  local b
  for b in apigw-proxy bare-proxy load-backend; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is not built (cargo build --release -p apigw-proxy --bins)"
  done
}

# start_work NAME: makes WORK (a temporary directory) and, on exit, stops every process in
# PIDS, runs keep_results if the script defines it, and removes WORK.
start_work() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  PIDS=()
  trap stop_work EXIT
}

stop_work() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  if declare -F keep_results >/dev/null; then
    keep_results
  fi
  rm -rf "$WORK"
}

# announced FILE REGEX [TRIES]: waits (TRIES × 50 ms, default 200) until FILE has a line
# matching REGEX and prints its first capture (an address).
announced() {
  local file=$1 regex=$2 tries=${3:-200} i
  for i in $(seq 1 "$tries"); do
    if grep -qE "$regex" "$file" 2>/dev/null; then
      sed -nE "s#.*$regex.*#\\1#p" "$file" | head -1
      return 0
    fi
    sleep 0.05
  done
  cat "$file" >&2
  die "no line matching '$regex' in $file"
}
