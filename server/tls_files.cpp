// PEM parsing with OpenSSL: certificates counted, a key matched to the first
// certificate of its chain.
#include "server/tls_files.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace gradstream::server {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate in `pem` and how many there are.
X509Ptr first_certificate(const std::string& pem, int* count) {
  BioPtr bio = memory_bio(pem);
  X509Ptr first;
  *count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (!first) {
      first.reset(cert);
    } else {
      X509_free(cert);
    }
    ++*count;
  }
  return first;
}

engine::Status not_certificates(const std::string& field, const std::string& path) {
  return engine::invalid_argument(field + ": " + path + " holds no PEM certificate");
}

}  // namespace

engine::Result<std::string> read_tls_file(const std::string& field, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return engine::invalid_argument(field + ": cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return engine::invalid_argument(field + ": cannot read " + path);
  return text.str();
}

engine::Status check_certificate_file(const std::string& field, const std::string& path) {
  auto pem = read_tls_file(field, path);
  if (!pem.ok()) return pem.status();
  int count = 0;
  if (!first_certificate(pem.value(), &count)) return not_certificates(field, path);
  return engine::ok_status();
}

engine::Status check_key_pair(const std::string& cert_field, const std::string& cert_path,
                              const std::string& key_field, const std::string& key_path) {
  auto cert_pem = read_tls_file(cert_field, cert_path);
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = read_tls_file(key_field, key_path);
  if (!key_pem.ok()) return key_pem.status();
  int count = 0;
  X509Ptr cert = first_certificate(cert_pem.value(), &count);
  if (!cert) return not_certificates(cert_field, cert_path);
  BioPtr key_bio = memory_bio(key_pem.value());
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return engine::invalid_argument(key_field + ": " + key_path +
                                    " holds no PEM private key (or one with a passphrase)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return engine::invalid_argument(key_field + ": the key in " + key_path +
                                    " is not the key of the certificate in " + cert_path);
  }
  return engine::ok_status();
}

}  // namespace gradstream::server
