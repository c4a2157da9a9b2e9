// describe_run and its parts: /proc/cpuinfo's model name, oneDNN's version and
// the name of the ISA it dispatches to.
#include "engine/core/run_record.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <string_view>

namespace gradstream::engine {

namespace {

struct IsaName {
  dnnl_cpu_isa_t isa;
  const char* name;
};

// Every dnnl_cpu_isa_t of oneDNN 2.6 (oneapi/dnnl/dnnl_types.h).
constexpr std::array<IsaName, 11> kIsaNames{{
    {dnnl_cpu_isa_all, "all"},
    {dnnl_cpu_isa_sse41, "sse41"},
    {dnnl_cpu_isa_avx, "avx"},
    {dnnl_cpu_isa_avx2, "avx2"},
    {dnnl_cpu_isa_avx512_mic, "avx512_mic"},
    {dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"},
    {dnnl_cpu_isa_avx512_core, "avx512_core"},
    {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"},
    {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
    {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"},
    {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"},
}};

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  const size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

}  // namespace

std::string cpu_model_in(std::istream& cpuinfo) {
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trimmed(std::string_view(line).substr(0, colon)) != "model name") continue;
    const std::string_view value = trimmed(std::string_view(line).substr(colon + 1));
    if (!value.empty()) return std::string(value);
  }
  return kUnknownCpuModel;
}

const std::string& cpu_model() {
  static const std::string model = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    return cpu_model_in(cpuinfo);
  }();
  return model;
}

std::string onednn_isa_name(dnnl_cpu_isa_t isa) {
  for (const IsaName& entry : kIsaNames) {
    if (entry.isa == isa) return entry.name;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%x", static_cast<unsigned>(isa));
  return std::string("isa_") + hex;
}

std::string onednn_version() {
  const dnnl_version_t* version = dnnl_version();
  return std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
         std::to_string(version->patch);
}

v1::RunRecord describe_run(uint32_t threads, uint64_t seed) {
  v1::RunRecord run;
  run.set_cpu_model(cpu_model());
  run.set_onednn_version(onednn_version());
  run.set_isa(onednn_isa_name(dnnl_get_effective_cpu_isa()));
  run.set_threads(threads);
  run.set_seed(seed);
  return run;
}

}  // namespace gradstream::engine
