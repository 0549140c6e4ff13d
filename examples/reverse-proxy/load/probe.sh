#!/usr/bin/env bash
# Instructions and heap allocations per request of the two proxies of the load test, under
# valgrind's callgrind (a manual tool, not run by CI): the stable counterpart of run.sh's
# requests/s, which swing with whatever else runs on the machine.
#
#   (a) bare-proxy  GET /pets/1     → load-backend
#   (b) apigw-proxy GET /dev/pets/1 → the same load-backend (load/load-api.yaml)
#
# Each proxy runs twice under `valgrind --tool=callgrind`: once driven with WARMUP requests, once
# with WARMUP + REQUESTS (over CONNECTIONS keep-alive connections, the requests wrk sends: a
# request line and `Host`). The difference of the two runs' totals divided by REQUESTS is the
# cost of one request, without start-up, warm-up and shutdown. Heap allocations are the calls
# into the heap allocator (Rust's allocator shim, or malloc and its kin from C code) in
# callgrind's call graph, whichever allocator the binaries use (see counts); reallocations are
# counted apart, and the instructions spent in the allocator (allocations, reallocations and
# frees, inclusive) are shown too. Only the proxy runs under valgrind (load-backend and the
# client run natively). Prints a Markdown table.
#
# Usage: examples/reverse-proxy/load/probe.sh [--no-build]
# Needs: valgrind, python3, curl.
# Settings (environment): REQUESTS (4000), WARMUP (200), CONNECTIONS (4), CARGO_TARGET_DIR
# (target), KEEP (unset; a directory to keep the callgrind files in, for callgrind_annotate).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
REQUESTS=${REQUESTS:-4000}
WARMUP=${WARMUP:-200}
CONNECTIONS=${CONNECTIONS:-4}

die() {
  echo "probe: $*" >&2
  exit 1
}
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
command -v python3 >/dev/null || die "python3 is not installed"
command -v curl >/dev/null || die "curl is not installed"
[[ "$REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive integer"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"

# shellcheck source=common.sh
. "$HERE/common.sh"
build_bins "${1:-}"
start_work apigw-probe
keep_results() {
  if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && cp "$WORK"/*.cg "$KEEP"/ 2>/dev/null || true
  fi
}

# drive ADDR PATH N: N GET requests over CONNECTIONS keep-alive connections; fails on any
# answer but 200 or a connection that had to be reopened.
drive() {
  python3 - "$1" "$2" "$3" "$CONNECTIONS" <<'EOF'
import http.client, sys, threading
addr, path, n, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host, port = addr.rsplit(":", 1)
errors = []
def worker(count):
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=120)
        for _ in range(count):
            c.putrequest("GET", path, skip_accept_encoding=True)
            c.endheaders()
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError(f"status {r.status}")
            if r.will_close:
                raise RuntimeError("the server closed the connection")
        c.close()
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
threads = [threading.Thread(target=worker, args=(n // conns + (i < n % conns),))
           for i in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit("drive: " + "; ".join(errors[:3]))
EOF
}

# counts FILE: "instructions allocations reallocations allocator-instructions" of a callgrind
# file written with --compress-strings=no. An allocation is a call into the heap allocator from
# outside it: to Rust's allocator shim (`__rust_alloc`, `__rust_alloc_zeroed`, whatever the
# `#[global_allocator]`: the system's malloc or mimalloc) or, from code that bypasses it (C
# code, libc itself), to malloc, calloc, posix_memalign, aligned_alloc, memalign or one of
# mimalloc's mi_malloc / mi_zalloc / mi_calloc entry points. Calls made inside the allocator
# (the shim calling `__rdl_alloc` calling malloc; mimalloc's aligned entry calling its plain
# one) are not counted again, so the figure is the same for every allocator. Reallocations
# (`__rust_realloc`, realloc, mi_realloc…) are counted apart. The allocator instructions are
# the inclusive cost of those calls and of the deallocations (`__rust_dealloc`, free,
# mi_free…) made from outside the allocator.
counts() {
  awk '
    function base(name) { sub(/\047[0-9]+$/, "", name); return name }
    function inside(name) {
      return name ~ /^(__rustc::)?__r(ust|dl|g)_(alloc|alloc_zeroed|realloc|dealloc|oom)$/ ||
        name ~ /GlobalAlloc>::(alloc|alloc_zeroed|realloc|dealloc)$/ ||
        name ~ /^(malloc|calloc|realloc|free|cfree|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|_mid_memalign|sysmalloc|tcache_.*|_int_.*|malloc_.*|__libc_(malloc|calloc|realloc|free|memalign).*)$/ ||
        name ~ /^_?mi_/
    }
    function kind(name) {
      if (name ~ /^(__rustc::)?__rust_alloc(_zeroed)?$/ ||
          name ~ /^(malloc|calloc|posix_memalign|aligned_alloc|memalign|valloc|pvalloc)$/ ||
          name ~ /^mi_(heap_)?(malloc|zalloc|calloc|mallocn|new)(_aligned|_aligned_at|_small|_n)?$/)
        return "alloc"
      if (name ~ /^(__rustc::)?__rust_realloc$/ || name ~ /^(realloc|mi_(heap_)?(realloc|rezalloc|recalloc|reallocn)(_aligned|_aligned_at)?)$/)
        return "realloc"
      if (name ~ /^(__rustc::)?__rust_dealloc$/ || name ~ /^(free|cfree|mi_free(_size|_aligned|_size_aligned)?)$/)
        return "free"
      return ""
    }
    /^(summary|totals):/ && !ir { ir = $2 }
    /^fn=/ { caller = base(substr($0, 4)); outside = !inside(caller); next }
    /^cfn=/ { callee = base(substr($0, 5)); k = kind(callee); next }
    /^calls=/ {
      split($1, c, "="); n = c[2]; counted = outside && k != ""
      if (counted && k == "alloc") allocs += n
      else if (counted && k == "realloc") reallocs += n
      next
    }
    # The line after calls=: the call site and the inclusive cost of those calls.
    counted { heap += $2; counted = 0 }
    END { printf "%d %d %d %d\n", ir, allocs, reallocs, heap }
  ' "$1"
}

"$BIN/load-backend" --listen 127.0.0.1:0 >"$WORK/backend.out" 2>&1 &
PIDS+=($!)
BACKEND=$(announced "$WORK/backend.out" 'listening on http://([0-9.:]+)')
sed "s/LOAD_BACKEND/$BACKEND/g" "$HERE/load-api.yaml" >"$WORK/api.yaml"
pet='{"id": 1, "name": "Rex", "kind": "dog"}'

# probe NAME N: one callgrind run of proxy NAME (bare or apigw) driven with N requests;
# sets RESULT to counts' figures.
probe() {
  local name=$1 n=$2 pid addr path out=$WORK/$1.$2.cg
  local vg=(valgrind --tool=callgrind --compress-strings=no --compress-pos=no
    --callgrind-out-file="$out")
  if [ "$name" = bare ]; then
    "${vg[@]}" "$BIN/bare-proxy" --listen 127.0.0.1:0 --backend "$BACKEND" \
      >"$WORK/$name.out" 2>"$WORK/$name.err" &
    pid=$!
    PIDS+=($pid)
    addr=$(announced "$WORK/$name.out" 'listening on http://([0-9.:]+)' 1200)
    path=/pets/1
  else
    RUST_LOG=warn "${vg[@]}" "$BIN/apigw-proxy" --api "$WORK/api.yaml" \
      --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
    pid=$!
    PIDS+=($pid)
    addr=$(announced "$WORK/$name.out" 'data plane on http://([0-9.:]+)' 1200)
    path=/dev/pets/1
  fi
  [ "$(curl -s --max-time 60 "http://$addr$path")" = "$pet" ] ||
    die "($name) $path answers wrong"
  drive "$addr" "$path" "$n" || die "($name) the requests failed"
  kill -INT "$pid"
  local i
  for i in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
  [ -s "$out" ] || { cat "$WORK/$name.err" >&2; die "($name) no callgrind output"; }
  RESULT=$(counts "$out")
}

# per_request A B: (B - A) / REQUESTS with one decimal (no "-0.0").
per_request() {
  awk -v a="$1" -v b="$2" -v n="$REQUESTS" 'BEGIN {v = (b - a) / n; if (v > -0.05 && v < 0.05) v = 0; printf "%.1f", v}'
}

declare -A IR ALLOC REALLOC HEAP
for name in bare apigw; do
  echo "== ($name) $WARMUP and $((WARMUP + REQUESTS)) requests under callgrind" >&2
  probe "$name" "$WARMUP"
  read -r ir0 al0 re0 he0 <<<"$RESULT"
  probe "$name" "$((WARMUP + REQUESTS))"
  read -r ir1 al1 re1 he1 <<<"$RESULT"
  IR[$name]=$(awk -v a="$ir0" -v b="$ir1" -v n="$REQUESTS" 'BEGIN {printf "%.0f", (b - a) / n}')
  ALLOC[$name]=$(per_request "$al0" "$al1")
  REALLOC[$name]=$(per_request "$re0" "$re1")
  HEAP[$name]=$(awk -v a="$he0" -v b="$he1" -v n="$REQUESTS" 'BEGIN {printf "%.0f", (b - a) / n}')
  echo "   Ir $ir0 -> $ir1, allocations $al0 -> $al1, reallocations $re0 -> $re1, allocator Ir $he0 -> $he1" >&2
done

echo
echo "callgrind, $REQUESTS requests (after $WARMUP) over $CONNECTIONS keep-alive connections, per request:"
echo
echo "| proxy | instructions | heap allocations | reallocations | instructions in the allocator |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| (a) bare-proxy \`/pets/1\` | ${IR[bare]} | ${ALLOC[bare]} | ${REALLOC[bare]} | ${HEAP[bare]} |"
echo "| (b) apigw-proxy \`/dev/pets/1\` | ${IR[apigw]} | ${ALLOC[apigw]} | ${REALLOC[apigw]} | ${HEAP[apigw]} |"
echo
awk -v a="${IR[bare]}" -v b="${IR[apigw]}" -v x="${ALLOC[bare]}" -v y="${ALLOC[apigw]}" \
  'BEGIN {printf "apigw-proxy over bare-proxy: +%d instructions (%.2fx), +%.1f allocations per request.\n", b - a, b / a, y - x}'
