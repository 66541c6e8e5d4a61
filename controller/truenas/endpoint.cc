// Endpoint parsing, TLS context, protocol probe (see endpoint.h).
#include "controller/truenas/endpoint.h"

#include <Poco/Delegate.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>
#include <mutex>

#include "common/log/log.h"

namespace tnascsi::controller::truenas {
namespace {

// OpenSSL runs the verification callback on the thread doing the handshake, so the reason of the
// last verification failure is kept per thread and added to the error message.
thread_local std::string lastVerifyError;

class VerifyErrorRecorder {
 public:
  void onError(const void*, Poco::Net::VerificationErrorArgs& args) {
    lastVerifyError = args.errorMessage() + " (depth " + std::to_string(args.errorDepth()) + ")";
    args.setIgnoreError(false);
  }
};

void initSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    static VerifyErrorRecorder recorder;
    Poco::Net::SSLManager::instance().ClientVerificationError +=
        Poco::delegate(&recorder, &VerifyErrorRecorder::onError);
  });
}

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string Endpoint::display() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "wss://" : "ws://") + h + ":" + std::to_string(port);
}

StatusOr<Endpoint> parseEndpoint(const std::string& url) {
  Endpoint ep;
  try {
    Poco::URI uri(url);
    const std::string scheme = lowerCase(uri.getScheme());
    if (scheme == "wss" || scheme == "https") {
      ep.tls = true;
    } else if (scheme == "ws" || scheme == "http") {
      ep.tls = false;
    } else {
      return absl::InvalidArgumentError(
          "TrueNAS URL must start with wss:// (or ws:// for "
          "loopback), got scheme \"" +
          scheme + "\"");
    }
    ep.host = uri.getHost();
    if (ep.host.empty()) return absl::InvalidArgumentError("TrueNAS URL has no host");
    ep.port = uri.getPort() != 0 ? uri.getPort() : (ep.tls ? 443 : 80);
    if (!uri.getUserInfo().empty()) {
      return absl::InvalidArgumentError(
          "TrueNAS URL must not contain credentials; use the API "
          "key file");
    }
  } catch (const Poco::Exception& e) {
    return absl::InvalidArgumentError("invalid TrueNAS URL: " + e.displayText());
  }
  return ep;
}

bool isLoopbackHost(const std::string& host) {
  if (lowerCase(host) == "localhost") return true;
  Poco::Net::IPAddress addr;
  if (!Poco::Net::IPAddress::tryParse(host, addr)) return false;
  return addr.isLoopback();
}

Status checkTransportSecurity(const Endpoint& endpoint) {
  if (endpoint.tls || isLoopbackHost(endpoint.host)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "refusing to send the TrueNAS API key over unencrypted " + endpoint.display() +
      ": TrueNAS 25.04+ revokes API keys used over plain HTTP; use wss:// instead");
}

StatusOr<Poco::Net::Context::Ptr> makeTlsContext(const ConnectionOptions& options) {
  initSslOnce();
  try {
    const auto mode = options.insecureSkipVerify ? Poco::Net::Context::VERIFY_NONE
                                                 : Poco::Net::Context::VERIFY_RELAXED;
    const bool defaultCas = options.caFile.empty();
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", options.caFile, mode, 9,
                               defaultCas, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
    if (options.insecureSkipVerify) {
      ctx->enableExtendedCertificateVerification(false);
      TNAS_LOG(Warn) << "TLS certificate verification of the TrueNAS API is disabled "
                        "(insecureSkipVerify)";
    }
    return ctx;
  } catch (const Poco::Exception& e) {
    return absl::FailedPreconditionError("cannot set up TLS for the TrueNAS API (CA file \"" +
                                         options.caFile + "\"): " + e.displayText());
  }
}

std::unique_ptr<Poco::Net::HTTPClientSession> makeSession(const Endpoint& endpoint,
                                                          const Poco::Net::Context::Ptr& tls,
                                                          std::chrono::milliseconds timeout) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (endpoint.tls) {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(endpoint.host, endpoint.port, tls);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(endpoint.host, endpoint.port);
  }
  const Poco::Timespan t(static_cast<long>(timeout.count() / 1000),
                         static_cast<long>((timeout.count() % 1000) * 1000));
  session->setTimeout(t);
  return session;
}

Status networkErrorStatus(const Poco::Exception& e, const Endpoint& endpoint, const char* what) {
  const std::string text = e.displayText();
  const std::string l = lowerCase(text);
  const std::string where = std::string(what) + " " + endpoint.display();
  std::string reason;
  reason.swap(lastVerifyError);
  if (!reason.empty() ||
      dynamic_cast<const Poco::Net::CertificateValidationException*>(&e) != nullptr ||
      l.find("certificate verify failed") != std::string::npos ||
      l.find("unacceptable certificate") != std::string::npos) {
    return absl::FailedPreconditionError(
        "TLS certificate verification failed for " + endpoint.display() + ": " +
        (reason.empty() ? text : reason + "; " + text) +
        "; set the TrueNAS CA file (caFile) to the CA that signed the TrueNAS certificate");
  }
  if (dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr) {
    return absl::DeadlineExceededError(where + ": timed out");
  }
  return absl::UnavailableError(where + ": " + text);
}

StatusOr<WireProtocol> probeProtocol(const Endpoint& endpoint, const Poco::Net::Context::Ptr& tls,
                                     std::chrono::milliseconds timeout) {
  try {
    auto session = makeSession(endpoint, tls, timeout);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/versions",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session->receiveResponse(response);
    body.ignore(1 << 20);
    const int status = static_cast<int>(response.getStatus());
    if (status == 200) return WireProtocol::kJsonRpc;
    // Only 25.04+ routes /api to the middleware (TS-25.04.2.6:etc_files/local/nginx/
    // nginx.conf.mako:189 `location /api`). On 24.10 and CORE 13.0 nginx answers any unknown path
    // from `location /` with a 302 to /ui/ (TS-24.10.2.4:etc_files/local/nginx/nginx.conf.mako:
    // 195-197, TN-13.0-U6.8:etc_files/local/nginx/nginx.conf:171-172, `rewrite ... redirect`), so
    // a redirect or a client error means "no JSON-RPC here": use the legacy /websocket. A server
    // error (5xx, e.g. the middleware restarting behind nginx) says nothing about the version.
    if (status >= 300 && status < 500) return WireProtocol::kLegacyDdp;
    return absl::UnavailableError("probing " + endpoint.display() + "/api/versions: HTTP " +
                                  std::to_string(status));
  } catch (const Poco::Exception& e) {
    return networkErrorStatus(e, endpoint, "probing");
  } catch (const std::exception& e) {
    return absl::UnavailableError("probing " + endpoint.display() + ": " + e.what());
  }
}

}  // namespace tnascsi::controller::truenas
