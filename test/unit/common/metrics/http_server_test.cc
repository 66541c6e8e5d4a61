// MetricsServer over a real loopback socket: /metrics, /healthz, 404, 405; address parsing.
#include "common/metrics/http_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <sstream>

namespace tnascsi::common::metrics {
namespace {

struct Reply {
  int status = 0;
  std::string type;
  std::string body;
};

Reply get(int port, const std::string& path, const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply r;
  r.status = response.getStatus();
  r.type = response.getContentType();
  std::ostringstream body;
  Poco::StreamCopier::copyStream(in, body);
  r.body = body.str();
  return r;
}

TEST(MetricsServerTest, ServesTheRegistryAndHealth) {
  Registry registry;
  registry.counter("test_scrapes_total", "S.").with({}).inc(5);
  auto server = MetricsServer::start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);

  Reply metrics = get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.body, registry.render());
  EXPECT_NE(metrics.body.find("test_scrapes_total 5\n"), std::string::npos);

  Reply health = get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(get(port, "/metrics?x=1").status, 200);
  EXPECT_EQ(get(port, "/nope").status, 404);
  EXPECT_EQ(get(port, "/metrics", "POST").status, 405);
  EXPECT_EQ(get(port, "/metrics", "HEAD").status, 200);
}

TEST(MetricsServerTest, PortInUseIsAnError) {
  Registry registry;
  auto first = MetricsServer::start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_FALSE(second.ok());
}

TEST(ListenAddressTest, Forms) {
  auto a = parseListenAddress(":9810");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 9810);
  auto b = parseListenAddress("[::1]:80");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  auto c = parseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 0);
  for (const char* bad : {"9810", "host:", "h:99999", "h:12a", "::1:80", "[::1:80"}) {
    auto r = parseListenAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace tnascsi::common::metrics
