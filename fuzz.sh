#!/usr/bin/env bash
# Runs every cargo-fuzz target of the workspace for N seconds each, one after the other.
#
#   ./fuzz.sh 60                 # all seven targets, 60 s each
#   ./fuzz.sh 600 apply jsonpath # only the named targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain (`cargo +nightly`;
# override with FUZZ_TOOLCHAIN=..., e.g. FUZZ_TOOLCHAIN=stable with RUSTC_BOOTSTRAP=1).
# Targets live in crates/<crate>/fuzz/ (each its own cargo workspace); fuzz/seed.py fills
# their corpus/ directories from conformance/cases and benches/workloads first. Crashes
# land in crates/<crate>/fuzz/artifacts/<target>/; reproduce one with
#   cd crates/<crate>/fuzz && cargo +nightly fuzz run <target> artifacts/<target>/crash-...
# and minimise it with `cargo +nightly fuzz tmin <target> <file>`.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (default: -rss_limit_mb=2048 -timeout=10).
# Exit status: non-zero if any target found a crash.
set -uo pipefail

secs=${1:?usage: ./fuzz.sh SECONDS [TARGET...]}
shift
root=$(cd "$(dirname "$0")" && pwd)
toolchain=${FUZZ_TOOLCHAIN:-nightly}
flags=${FUZZ_FLAGS:--rss_limit_mb=2048 -timeout=10}

targets=(
  "apigw-vtl vtl_compile_render"
  "apigw-javaregex javaregex"
  "apigw-jsonpath jsonpath"
  "apigw-mapping apply"
  "apigw-control control_handle"
  "apigw-control openapi_import"
  "apigw-lint lint"
)

python3 "$root/fuzz/seed.py" "$root" || exit 1

failed=()
for entry in "${targets[@]}"; do
  read -r crate target <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $target "* ]]; then
    continue
  fi
  echo "=== $crate/$target for ${secs}s"
  # shellcheck disable=SC2086
  if ! (cd "$root/crates/$crate/fuzz" &&
        cargo "+$toolchain" fuzz run "$target" "corpus/$target" -- \
          -max_total_time="$secs" $flags); then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "crashes in: ${failed[*]} (see crates/*/fuzz/artifacts/)"
  exit 1
fi
echo "all targets ran ${secs}s without a crash"
