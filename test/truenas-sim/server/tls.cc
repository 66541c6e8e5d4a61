// Self-signed certificate generation (OpenSSL 3) for --tls-self-signed.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>

#include "common/base/c_handle.h"
#include "test/truenas-sim/server/sim_server.h"

namespace tnascsi::sim {
namespace {

using PKey = common::CHandle<EVP_PKEY, &EVP_PKEY_free>;
using Cert = common::CHandle<X509, &X509_free>;
using File = common::CHandle<FILE, &fclose>;

}  // namespace

Status generateSelfSignedCert(const std::string& dir, const std::string& host) {
  PKey key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError("EC key generation failed");
  Cert cert(X509_new());
  if (!cert) return absl::InternalError("X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("truenas-sim"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  const std::string san = "IP:" + host + ",DNS:localhost";
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (ext) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return absl::InternalError("certificate signing failed");
  }
  File certFile(std::fopen((dir + "/cert.pem").c_str(), "w"));
  if (!certFile) return common::errnoStatus("open " + dir + "/cert.pem", errno);
  PEM_write_X509(certFile.get(), cert.get());
  File keyFile(std::fopen((dir + "/key.pem").c_str(), "w"));
  if (!keyFile) return common::errnoStatus("open " + dir + "/key.pem", errno);
  PEM_write_PrivateKey(keyFile.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return absl::OkStatus();
}

}  // namespace tnascsi::sim
