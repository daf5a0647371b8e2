#!/usr/bin/env bash
# One fuzzing run of fuzz_model, seeded with every model we have: the committed corpus, the
# regression inputs, the weight-free third-party models (seeds/), tests/models, ONNX's own test
# models (Debian's libonnx-testdata, where installed) and every model the core tests build in
# memory (dumped by running them with FOOTPRINT_DUMP_MODELS). New inputs go to WORK/grown, crashes
# to WORK/crashes; minimise with -merge=1 afterwards (see the end of this script).
#
#   tests/fuzz/fuzz.sh [SECONDS]                  default 900
#   FUZZ_BUILD=build-fuzz TEST_BUILD=build-asan WORK=/tmp/fuzz-run tests/fuzz/fuzz.sh 900
#
# FUZZ_BUILD holds bin/fuzz_model (-DFOOTPRINT_FUZZ=ON); TEST_BUILD any build with the core tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz_build=${FUZZ_BUILD:-$root/build-fuzz}
test_build=${TEST_BUILD:-$root/build}
work=${WORK:-$fuzz_build/fuzz-run}
seconds=${1:-900}
mkdir -p "$work/grown" "$work/built" "$work/testdata" "$work/crashes"

# The models the tests build: every core test that builds models, run once with the dump on.
for t in reader shapes costs training robustness; do
    if [[ -x "$test_build/bin/tst_$t" ]]; then
        FOOTPRINT_DUMP_MODELS="$work/built" "$test_build/bin/tst_$t" -silent >/dev/null 2>&1 || true
    else
        echo "warning: $test_build/bin/tst_$t is not built; its models are not seeds" >&2
    fi
done
# ONNX's test models are all called model.onnx: copy them flat, under their folder's name.
if [[ -d /usr/share/libonnx-testdata/data ]]; then
    find /usr/share/libonnx-testdata/data -name model.onnx | while read -r f; do
        cp "$f" "$work/testdata/$(basename "$(dirname "$f")").onnx"
    done
fi
# The zoo's attention exports, for the library modules found when a graph is read (nn.MultiheadAttention,
# nn.TransformerEncoderLayer, Swin's functional attention).
mkdir -p "$work/zoo"
cp "$root"/tests/zoo/models/{torch_enc*,func_gpt,vit_b_16}_eval*.onnx "$root"/tests/zoo/models/swin_t_eval_128.onnx "$work/zoo/"
echo "seeds: $(ls "$work/built" | wc -l) built by the tests, $(ls "$work/testdata" | wc -l) from libonnx-testdata," \
    "$(ls "$work/zoo" | wc -l) from the zoo" >&2

# -max_len: libFuzzer would otherwise cut seeds at 1 MiB (tests/models has larger ones).
"$fuzz_build/bin/fuzz_model" "$work/grown" "$root/tests/fuzz/corpus" "$root/tests/fuzz/regressions" \
    "$root/tests/fuzz/seeds" "$root/tests/models" "$work/built" "$work/testdata" "$work/zoo" \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -max_len=2097152 \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 2>&1 | tee "$work/fuzz.log"

# To minimise: put copies of what is committed besides the corpus (regressions/, seeds/third-party/,
# tests/models) in a folder BASE, run
#   build-fuzz/bin/fuzz_model -merge=1 -max_len=2097152 BASE tests/fuzz/corpus WORK/grown
# and the files the merge adds to BASE are the new corpus; commit the smallest that fit in ~3 MB.
