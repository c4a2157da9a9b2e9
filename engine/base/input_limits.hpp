// The bounds on what a user sends that ends up stored, logged or exported:
// names (they become Prometheus label values and log fields), other strings,
// and the whole spec (it is embedded in every Job message, so a bounded spec
// keeps every Job, ListJobs page and event below the server's message limit).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gradstream::engine {

// Names: the job's, its layers', uploaded datasets'. Safe as a Prometheus
// label value and in a log line without quoting: no spaces, quotes, slashes
// (node names join a layer's name and its activation's with '/') or control
// characters.
inline constexpr size_t kMaxNameLength = 64;
inline constexpr const char* kNameCharacters = "[A-Za-z0-9._-]";

// A server-side file path (data.files.*): PATH_MAX.
inline constexpr size_t kMaxPathLength = 4096;
// data.dataset_id: "sha256:" and 64 hex digits, with room to spare.
inline constexpr size_t kMaxDatasetIdLength = 128;

// The spec as sent, serialized. Initial weights are most of a big one: 4 MiB
// holds a million given floats. A Job is its spec (defaults made explicit)
// plus a few KiB, so with a 16 MiB message limit a job and a ListJobs page of
// them always fit.
inline constexpr size_t kMaxSpecBytes = size_t{4} << 20;

// Gradient values one gradient event may carry when reporting sends tensors:
// at most the model's parameters are sent, so the model must have at most
// this many (4 MiB of floats) for send_gradient_tensors.
inline constexpr int64_t kMaxSentGradientValues = int64_t{1} << 20;

}  // namespace gradstream::engine
