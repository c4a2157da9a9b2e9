// Stable 64-bit hashes of bytes and of protobuf messages, for fingerprints and
// digests that must agree between processes, runs and machines (std::hash
// promises none of that).
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <string_view>

namespace gradstream::engine {

// FNV-1a, 64-bit.
uint64_t fnv1a64(std::string_view bytes);

// fnv1a64 of `message` serialized deterministically (map entries in key
// order, so equal messages hash equally however their maps were filled).
uint64_t message_hash(const google::protobuf::MessageLite& message);

}  // namespace gradstream::engine
