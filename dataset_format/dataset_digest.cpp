// sha256 digests and dataset ids.
#include "dataset_format/dataset_digest.hpp"

#include <utility>

#include "dataset_format/dataset_header.hpp"

namespace gradstream::dataset_format {

EvpContext new_sha256() {
  EvpContext ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return nullptr;
  return ctx;
}

Digest finish_sha256(EVP_MD_CTX* ctx) {
  Digest digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &size);
  return digest;
}

std::string to_hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

std::string dataset_id(const v1::DatasetHeader& header, const Digest& features,
                       const Digest& labels) {
  EvpContext id_hash = new_sha256();
  if (!id_hash) return {};  // no id matches the empty string
  const std::string canonical = canonical_dataset_header(header);
  EVP_DigestUpdate(id_hash.get(), canonical.data(), canonical.size());
  EVP_DigestUpdate(id_hash.get(), features.data(), features.size());
  EVP_DigestUpdate(id_hash.get(), labels.data(), labels.size());
  return kDatasetIdPrefix + to_hex(finish_sha256(id_hash.get()));
}

engine::Result<ContentDigest> ContentDigest::create() {
  EvpContext features = new_sha256();
  EvpContext labels = new_sha256();
  if (!features || !labels) return engine::internal_error("datasets: cannot start a sha256 hash");
  return ContentDigest(std::move(features), std::move(labels));
}

void ContentDigest::add_features(std::string_view bytes) {
  EVP_DigestUpdate(features_.get(), bytes.data(), bytes.size());
}

void ContentDigest::add_labels(std::string_view bytes) {
  EVP_DigestUpdate(labels_.get(), bytes.data(), bytes.size());
}

std::string ContentDigest::finish(const v1::DatasetHeader& header) {
  return dataset_id(header, finish_sha256(features_.get()), finish_sha256(labels_.get()));
}

}  // namespace gradstream::dataset_format
