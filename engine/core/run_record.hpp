// The record of a run: what its numbers depend on besides the spec (the CPU,
// oneDNN's version and the ISA it dispatches to, threads, seed). Losses are
// promised bit for bit per (spec, seed, threads, ISA); throughput depends on all.
#pragma once

#include <oneapi/dnnl/dnnl.h>

#include <cstdint>
#include <istream>
#include <string>

#include "gradstream/v1/report.pb.h"

namespace gradstream::engine {

inline constexpr const char* kUnknownCpuModel = "unknown";

// This machine's CPU as /proc/cpuinfo names it (its first "model name"), read
// once per process; kUnknownCpuModel where there is none.
const std::string& cpu_model();

// The first "model name" value of a /proc/cpuinfo text, trimmed; kUnknownCpuModel
// when no such line has a value.
std::string cpu_model_in(std::istream& cpuinfo);

// A short stable name for a oneDNN ISA: "avx512_core_bf16", "avx512_core",
// "avx2", "sse41", ... (dnnl_cpu_isa_t's names without the prefix), and
// "isa_<hex>" for a value oneDNN 2.6 does not define.
std::string onednn_isa_name(dnnl_cpu_isa_t isa);

// The loaded oneDNN's "major.minor.patch".
std::string onednn_version();

// The record of a run on this machine with `threads` and `seed`. The ISA is
// dnnl_get_effective_cpu_isa(): what oneDNN dispatches to, after
// ONEDNN_MAX_CPU_ISA.
v1::RunRecord describe_run(uint32_t threads, uint64_t seed);

}  // namespace gradstream::engine
