// message_hash: FNV-1a's published 64-bit test vectors, and messages hashed by
// content (map entries in any order) rather than by how they were built.
#include "engine/base/message_hash.hpp"

#include <gtest/gtest.h>

#include "gradstream/v1/spec.pb.h"

namespace gradstream::engine {
namespace {

TEST(MessageHashTest, Fnv1a64MatchesThePublishedVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(MessageHashTest, MapsHashTheSameWhateverTheirInsertionOrder) {
  v1::ActivationSpec first;
  v1::ActivationSpec second;
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
    (*first.mutable_constants())[name] = name[0];
  }
  for (const char* name : {"h", "g", "f", "e", "d", "c", "b", "a"}) {
    (*second.mutable_constants())[name] = name[0];
  }
  EXPECT_EQ(message_hash(first), message_hash(second));
  (*second.mutable_constants())["a"] = 1.5;
  EXPECT_NE(message_hash(first), message_hash(second));
}

}  // namespace
}  // namespace gradstream::engine
