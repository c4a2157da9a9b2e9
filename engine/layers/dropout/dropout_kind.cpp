// Dropout: validation and its node (no parameters).
#include "engine/layers/dropout/dropout_kind.hpp"

#include "engine/base/field_checks.hpp"
#include "engine/layers/dropout/dropout_layer.hpp"

namespace gradstream::engine {

namespace {

constexpr Range kDropoutRange{0.0F, kMaxDropoutRate, false, true};  // [0, 1)

class DropoutNode : public LayerNode {
 public:
  DropoutNode(std::string name, Shape shape, float rate)
      : LayerNode(std::move(name), shape, shape), rate_(rate) {}

  std::unique_ptr<Layer> instantiate(const Tensor& src, const LayerOptions& options,
                                     const dnnl::engine& eng) const override {
    return std::make_unique<DropoutLayer>(name(), src, rate_, options, eng);
  }

 private:
  float rate_;
};

Result<Shape> validate(const LayerSpecContext& ctx) {
  if (Status s = check_float(ctx.path + ".dropout.rate", ctx.spec.dropout().rate(), kDropoutRange);
      !s.ok()) {
    return s;
  }
  return ctx.input;
}

Status build(LayerBuildContext& ctx) {
  ctx.add_node(std::make_unique<DropoutNode>(ctx.name, ctx.input, ctx.spec.dropout().rate()));
  return ok_status();
}

}  // namespace

const LayerKind& dropout_layer_kind() {
  static const LayerKind kind{v1::LayerSpec::kDropout, "dropout", validate, no_parameters, build};
  return kind;
}

}  // namespace gradstream::engine
