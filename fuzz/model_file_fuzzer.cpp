// Fuzzes the model file reader as Predict and ExportModel's callers use it:
// model_file_spec, then load_model (parse, validate the spec, check the
// tensors against it, build the Model and copy them in). No pipeline is built.
#include <cstddef>
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "engine/model/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  gradstream::engine::model_file_spec(bytes);
  gradstream::engine::load_model(bytes, cpu);
  return 0;
}
