// Writes the seed corpora of every fuzzer (fuzz/corpus/<target>/), made by the
// project's own code where it has a writer (specs, model files, checkpoints,
// job rows) and byte by byte after the formats' definitions where it only
// reads (IDX, NPY, CSV). Usage: fuzz_seeds SOURCE_DIR OUT_DIR.
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/io/spec_io.hpp"
#include "engine/model/model_file.hpp"
#include "fuzz/checkpoint_trainer.hpp"
#include "fuzz/fuzz_input.hpp"
#include "gradstream/v1/trainer.pb.h"

namespace {

namespace fs = std::filesystem;
using gradstream::v1::TrainingSpec;

fs::path out_dir;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = out_dir / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// Two parts as fuzz_input.hpp's split_parts reads them: a length-prefixed
// first part, then the rest.
std::string pair(const std::string& first, const std::string& second) {
  std::string out;
  out.push_back(static_cast<char>(first.size() >> 8));
  out.push_back(static_cast<char>(first.size() & 0xff));
  return out + first + second;
}

std::string prefixed(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    out.push_back(static_cast<char>(part.size() >> 8));
    out.push_back(static_cast<char>(part.size() & 0xff));
    out += part;
  }
  return out;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

void spec_seeds(const TrainingSpec& spec, const std::string& name) {
  put("spec_json_fuzzer", name + "-canonical.json", gradstream::engine::spec_to_json(spec));
  std::string text;
  google::protobuf::TextFormat::PrintToString(spec, &text);
  put("spec_text_fuzzer", name + ".txtpb", text);
  put("spec_proto_fuzzer", name + ".pb", spec.SerializeAsString());
}

void idx_seeds() {
  // 3 samples of 2 x 2 ubyte, and 2 samples of 3 big-endian floats.
  const std::string ubyte = be32(0x00000803) + be32(3) + be32(2) + be32(2) +
                            std::string("\x00\x10\x20\xff\x01\x02\x03\x04\x05\x06\x07\x08", 12);
  const std::string labels3 = be32(0x00000801) + be32(3) + std::string("\x00\x01\x02", 3);
  std::string floats = be32(0x00000D02) + be32(2) + be32(3);
  for (float f : {0.5F, -1.0F, 2.0F, 0.0F, 1e-3F, 3.0F}) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    floats += be32(bits);
  }
  const std::string labels2 = be32(0x00000801) + be32(2) + std::string("\x01\x00", 2);
  for (const char* target : {"idx_fuzzer", "idx_gzip_fuzzer"}) {
    put(target, "ubyte", pair(ubyte, labels3));
    put(target, "float32", pair(floats, labels2));
  }
  put("idx_fuzzer", "ubyte-gzip",
      pair(gradstream::fuzz::gzip(ubyte), gradstream::fuzz::gzip(labels3)));
  put("idx_fuzzer", "float32-gzip-features", pair(gradstream::fuzz::gzip(floats), labels2));
}

std::string npy(const std::string& descr, const std::string& shape, const std::string& data,
                int version = 1) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(version));
  out.push_back('\0');
  const size_t length = header.size();
  for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<char>(length >> (8 * i)));
  return out + header + data;
}

std::string float_bytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

void npy_seeds() {
  const std::string f4 = npy("<f4", "(2, 3)", float_bytes({0.5F, -1.0F, 2.0F, 0.0F, 1e-3F, 3.0F}));
  const std::string u1 =
      npy("|u1", "(3, 2, 2)", std::string("\x00\x10\x20\xff\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  const int64_t i8[2] = {1, 0};
  const int32_t i4[3] = {2, 0, 1};
  put("npy_fuzzer", "f4-u1", pair(f4, npy("|u1", "(2,)", std::string("\x01\x00", 2))));
  put("npy_fuzzer", "f4-i8",
      pair(f4, npy("<i8", "(2,)", std::string(reinterpret_cast<const char*>(i8), sizeof i8))));
  put("npy_fuzzer", "u1-i4-v2",
      pair(npy("|u1", "(3, 2, 2)",
               std::string("\x00\x10\x20\xff\x01\x02\x03\x04\x05\x06\x07\x08", 12), 2),
           npy("<i4", "(3,)", std::string(reinterpret_cast<const char*>(i4), sizeof i4), 3)));
  put("npy_fuzzer", "u1-u1", pair(u1, npy("<u1", "(3,)", std::string("\x02\x01\x00", 3))));
}

void csv_seeds() {
  // The first byte: bit 0 a header row, the rest the label column (signed).
  put("csv_fuzzer", "label-first", std::string(1, 0) + "0,0.5,1.5\n1,2,3e-2\n2,-1,4\n");
  put("csv_fuzzer", "header-label-last",
      std::string(1, static_cast<char>(0xff)) +
          "\xef\xbb\xbfx,y,label\r\n 1.0 , 2 ,0\r\n\r\n3,4,1\r\n");
  put("csv_fuzzer", "label-middle", std::string(1, 2) + "0.1,7,0.2\n0.3,3,0.4\n");
}

void upload_seeds() {
  gradstream::v1::UploadDatasetChunk first;
  auto& header = *first.mutable_header();
  header.set_name("seed");
  header.set_element_type(gradstream::v1::FLOAT32);
  header.add_sample_shape(3);
  header.set_count(2);
  header.set_num_classes(2);
  const std::string features = float_bytes({0.5F, -1.0F, 2.0F, 0.0F, 1e-3F, 3.0F});
  const int32_t labels[2] = {1, 0};
  const std::string label_bytes(reinterpret_cast<const char*>(labels), sizeof labels);
  first.set_features(features.substr(0, 5));  // a float split across chunks
  gradstream::v1::UploadDatasetChunk rest;
  rest.set_features(features.substr(5));
  rest.set_labels(label_bytes);
  put("upload_fuzzer", "float32-split",
      prefixed({first.SerializeAsString(), rest.SerializeAsString()}));

  gradstream::v1::UploadDatasetChunk whole;
  auto& images = *whole.mutable_header();
  images.set_element_type(gradstream::v1::UINT8);
  images.add_sample_shape(1);
  images.add_sample_shape(2);
  images.add_sample_shape(2);
  images.set_count(3);
  images.set_num_classes(3);
  whole.set_features(std::string("\x00\x10\x20\xff\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  const int32_t three[3] = {2, 0, 1};
  whole.set_labels(std::string(reinterpret_cast<const char*>(three), sizeof three));
  put("upload_fuzzer", "uint8-one-chunk", prefixed({whole.SerializeAsString()}));
}

// Interrupts the run at one step and keeps the checkpoint it takes there.
class CheckpointAt : public gradstream::engine::TrainingObserver {
 public:
  explicit CheckpointAt(uint64_t step) : step_(step) {}
  void on_step(const gradstream::v1::StepReport& report) override {
    if (report.step() == step_) interrupt = true;
    gradstream::v1::TrainingEvent event;
    *event.mutable_step() = report;
    events.push_back(event);
  }
  void on_checkpoint(const gradstream::v1::TrainingCheckpoint& checkpoint) override {
    bytes = checkpoint.SerializeAsString();
  }
  std::atomic<bool> interrupt{false};
  std::string bytes;
  std::vector<gradstream::v1::TrainingEvent> events;

 private:
  uint64_t step_;
};

void trainer_seeds() {
  auto trainer = gradstream::fuzz::make_checkpoint_trainer();
  spec_seeds(trainer->spec(), "checkpoint-trainer");
  put("checkpoint_fuzzer", "start", trainer->checkpoint().SerializeAsString());
  auto model = gradstream::engine::serialize_model(trainer->spec(), trainer->model());
  put("model_file_fuzzer", "untrained", *model);

  CheckpointAt observer(4);  // step 4: epoch 2, after its first batch
  gradstream::engine::RunControl control;
  control.interrupt = &observer.interrupt;
  trainer->run(observer, control);
  put("checkpoint_fuzzer", "step-4", observer.bytes);
  put("model_file_fuzzer", "step-4",
      *gradstream::engine::serialize_model(trainer->spec(), trainer->model()));

  // A job row as the store keeps it: id, Job, the first version's events
  // blob (length-delimited events) or an empty one, then event rows.
  gradstream::v1::Job job;
  job.set_id("job-1");
  job.set_state(gradstream::v1::RUNNING);
  *job.mutable_spec() = trainer->spec();
  job.set_steps(4);
  std::vector<std::string> rows;
  std::string delimited;
  {
    google::protobuf::io::StringOutputStream stream(&delimited);
    uint64_t sequence = 0;
    for (gradstream::v1::TrainingEvent& event : observer.events) {
      event.set_sequence(++sequence);
      event.set_job_id(job.id());
      rows.push_back(event.SerializeAsString());
      google::protobuf::util::SerializeDelimitedToZeroCopyStream(event, &stream);
    }
    job.set_last_sequence(sequence);
  }
  std::vector<std::string> current = {job.id(), job.SerializeAsString(), ""};
  current.insert(current.end(), rows.begin(), rows.end());
  put("job_row_fuzzer", "events-table", prefixed(current));
  put("job_row_fuzzer", "first-version", prefixed({job.id(), job.SerializeAsString(), delimited}));
}

void formula_seeds() {
  const char* formulas[] = {
      "x * sigmoid(b * x)",    "where(x > 0, x, alpha * (exp(x) - 1)) * lambda",
      "max(a * x, x)",         "clip(x, -1, 1) ^ 2 + log1p(abs(x)) - sqrt(x * x + 1)",
      "tanh(softplus(x)) * x", "min(relu(x), 6) / 6 + erf(x / pi) + sin(cos(x))"};
  int i = 0;
  for (const char* formula : formulas)
    put("formula_fuzzer", "formula-" + std::to_string(i++), formula);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 64;
  }
  out_dir = argv[2];
  for (const auto& entry : fs::directory_iterator(fs::path(argv[1]) / "examples")) {
    auto spec = gradstream::engine::read_spec_file(entry.path().string());
    if (!spec.ok()) {
      std::fprintf(stderr, "%s\n", spec.status().message().c_str());
      return 1;
    }
    spec_seeds(*spec, entry.path().stem().string());
    std::ostringstream text;
    text << std::ifstream(entry.path()).rdbuf();
    put("spec_json_fuzzer", entry.path().filename().string(), text.str());  // as written
  }
  idx_seeds();
  npy_seeds();
  csv_seeds();
  upload_seeds();
  trainer_seeds();
  formula_seeds();
  return 0;
}
