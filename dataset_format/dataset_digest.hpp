// sha256 digests (OpenSSL's EVP API) and the id of an uploaded dataset, which
// the server computes as an upload arrives and a worker again as a fetched
// copy arrives: the same bytes give the same id, on either side.
//
// The id is "sha256:" + hex of
//   sha256(canonical header || sha256(features) || sha256(labels))
// (canonical_dataset_header: not the name, so the same data under another name
// is the same dataset). Features and labels are hashed separately because an
// upload may interleave them.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/status.hpp"
#include "gradstream/v1/trainer.pb.h"

namespace gradstream::dataset_format {

inline constexpr char kDatasetIdPrefix[] = "sha256:";
inline constexpr size_t kDigestBytes = 32;  // sha256

using Digest = std::array<unsigned char, kDigestBytes>;

struct EvpContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpContext = std::unique_ptr<EVP_MD_CTX, EvpContextFree>;

// A context ready to hash with sha256, or null when OpenSSL cannot make one.
EvpContext new_sha256();
Digest finish_sha256(EVP_MD_CTX* ctx);
std::string to_hex(const Digest& digest);

// "sha256:<hex>" of a dataset whose content hashed to these digests.
std::string dataset_id(const v1::DatasetHeader& header, const Digest& features,
                       const Digest& labels);

// Hashes a dataset's content as it arrives, features and labels each in
// order, and gives its id at the end. Not thread-safe.
class ContentDigest {
 public:
  // internal_error when OpenSSL cannot make its contexts.
  static engine::Result<ContentDigest> create();

  void add_features(std::string_view bytes);
  void add_labels(std::string_view bytes);
  // The id of `header` with the content added so far; once only.
  std::string finish(const v1::DatasetHeader& header);

 private:
  ContentDigest(EvpContext features, EvpContext labels)
      : features_(std::move(features)), labels_(std::move(labels)) {}

  EvpContext features_;
  EvpContext labels_;
};

}  // namespace gradstream::dataset_format
