# Sourced by the benchmarks that train the example MLP with every step an event.
#
# step_event_spec ROOT EPOCHS OUT: writes ROOT/examples/fashion-mnist-mlp.json
# with EPOCHS epochs and reporting.stepEvery 1 to OUT; returns 1 when either
# field could not be set (the example changed shape).
step_event_spec() {
  local root=$1 epochs=$2 out=$3
  sed -E -e "s/\"epochs\": *[0-9]+/\"epochs\": $epochs/" -e 's/"stepEvery": *[0-9]+/"stepEvery": 1/' \
    "$root/examples/fashion-mnist-mlp.json" >"$out"
  grep -q "\"epochs\": $epochs" "$out" && grep -q '"stepEvery": 1' "$out"
}
