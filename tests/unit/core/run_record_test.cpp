// run_record: ISA names for oneDNN's values, the CPU model as /proc/cpuinfo
// names it, oneDNN's version, and threads and seed copied into the record.
#include "engine/core/run_record.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace gradstream::engine {
namespace {

TEST(RunRecordTest, IsaNamesAreOneDnnsWithoutThePrefix) {
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_all), "all");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_sse41), "sse41");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx), "avx");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx2), "avx2");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_mic), "avx512_mic");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_mic_4ops), "avx512_mic_4ops");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_core), "avx512_core");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_core_vnni), "avx512_core_vnni");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_core_bf16), "avx512_core_bf16");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx512_core_amx), "avx512_core_amx");
  EXPECT_EQ(onednn_isa_name(dnnl_cpu_isa_avx2_vnni), "avx2_vnni");
}

TEST(RunRecordTest, AnIsaOneDnnDoesNotDefineIsNamedByItsHexValue) {
  EXPECT_EQ(onednn_isa_name(static_cast<dnnl_cpu_isa_t>(0x4e7)), "isa_4e7");
  EXPECT_EQ(onednn_isa_name(static_cast<dnnl_cpu_isa_t>(0x2)), "isa_2");
}

TEST(RunRecordTest, CpuModelIsTheFirstModelNameOfProcCpuinfo) {
  // Read here without the engine's parser: the first line that starts with
  // "model name", whatever follows its colon.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string expected = kUnknownCpuModel;
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    expected = line.substr(line.find(": ") + 2);
    break;
  }
  EXPECT_EQ(cpu_model(), expected);
  EXPECT_EQ(&cpu_model(), &cpu_model());  // read once, kept
}

TEST(RunRecordTest, CpuModelTextIsTrimmedAndTheFirstOneWins) {
  std::istringstream two(
      "processor\t: 0\nmodel name\t: AMD EPYC \nflags\t: fpu\n"
      "processor\t: 1\nmodel name\t: Other CPU\n");
  EXPECT_EQ(cpu_model_in(two), "AMD EPYC");
}

TEST(RunRecordTest, CpuModelIsUnknownWithoutAModelName) {
  std::istringstream arm("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n");
  EXPECT_EQ(cpu_model_in(arm), "unknown");
  std::istringstream blank("model name\t:   \n");
  EXPECT_EQ(cpu_model_in(blank), "unknown");
  std::istringstream empty("");
  EXPECT_EQ(cpu_model_in(empty), "unknown");
}

TEST(RunRecordTest, DescribeRunNamesThisMachineAndCopiesThreadsAndSeed) {
  const v1::RunRecord run = describe_run(3, 0xfeedface12345678ULL);
  const dnnl_version_t* version = dnnl_version();
  EXPECT_EQ(run.onednn_version(), std::to_string(version->major) + "." +
                                      std::to_string(version->minor) + "." +
                                      std::to_string(version->patch));
  EXPECT_EQ(run.isa(), onednn_isa_name(dnnl_get_effective_cpu_isa()));
  EXPECT_NE(run.isa().rfind("isa_", 0), 0U) << run.isa();  // one oneDNN defines
  EXPECT_EQ(run.cpu_model(), cpu_model());
  EXPECT_EQ(run.threads(), 3U);
  EXPECT_EQ(run.seed(), 0xfeedface12345678ULL);
}

}  // namespace
}  // namespace gradstream::engine
