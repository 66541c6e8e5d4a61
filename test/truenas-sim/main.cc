// truenas-sim: command-line entry point. Parses flags, builds a SimServer, prints
// "listening on <url>" once it accepts connections, and stops cleanly on SIGTERM/SIGINT.
// Run `truenas-sim --help` for the flags.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <regex>
#include <string>

#include "common/base/files.h"
#include "common/log/log.h"
#include "test/truenas-sim/server/sim_server.h"

namespace {

using tnascsi::sim::Json;
using tnascsi::sim::SimOptions;

constexpr char kUsage[] =
    "usage: truenas-sim --personality 24.10|25.04|25.10|13.0 --listen HOST:PORT\n"
    "         --api-key-file FILE --state FILE [--pool NAME:SIZE]... [--draid-pool NAME]...\n"
    "         [--tls-cert PEM --tls-key PEM | --tls-self-signed]\n"
    "         [--backing-exec PROGRAM --backing-root DIR]\n"
    "         [--api-key-user NAME] [--interface-ip IP]... [--treat-loopback-insecure]\n"
    "         [--latency-ms N] [--drop-after-calls N] [--pause]\n"
    "         [--fail METHOD[:ERRNO[:TIMES[:MESSAGE]]]] [--faults JSON]\n"
    "         [--rate-limit-delay-ms MIN[:MAX]] [--auth-fail-delay-ms N]\n"
    "         [--log-level debug|info|warn|error]\n"
    "SIZE accepts K, M, G, T suffixes (binary). PORT 0 picks a free port.\n";

int usage(const std::string& error) {
  if (!error.empty()) std::cerr << "truenas-sim: " << error << "\n";
  std::cerr << kUsage;
  return 2;
}

bool mergeFault(Json& faults, const std::string& key, Json value) {
  if (!faults.isObject()) faults = Json::object();
  faults.set(key, std::move(value));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  SimOptions o;
  std::string apiKeyFile, listen, backingExec;
  Json faults;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--personality" && next(v)) {
      o.personality = v;
    } else if (a == "--listen" && next(v)) {
      listen = v;
    } else if (a == "--api-key-file" && next(v)) {
      apiKeyFile = v;
    } else if (a == "--api-key-user" && next(v)) {
      o.apiKeyUser = v;
    } else if (a == "--state" && next(v)) {
      o.statePath = v;
    } else if (a == "--pool" && next(v)) {
      size_t colon = v.rfind(':');
      auto size =
          colon == std::string::npos ? std::nullopt : tnascsi::sim::parseSize(v.substr(colon + 1));
      if (!size || colon == 0) return usage("bad --pool '" + v + "' (want NAME:SIZE)");
      o.pools.emplace_back(v.substr(0, colon), *size);
    } else if (a == "--draid-pool" && next(v)) {
      o.draidPools.push_back(v);
    } else if (a == "--tls-cert" && next(v)) {
      o.tlsCert = v;
    } else if (a == "--tls-key" && next(v)) {
      o.tlsKey = v;
    } else if (a == "--tls-self-signed") {
      o.tlsSelfSigned = true;
    } else if (a == "--backing-exec" && next(v)) {
      backingExec = v;
    } else if (a == "--backing-root" && next(v)) {
      o.backingRoot = v;
    } else if (a == "--interface-ip" && next(v)) {
      o.interfaceIps.push_back(v);
    } else if (a == "--treat-loopback-insecure") {
      o.treatLoopbackInsecure = true;
    } else if (a == "--latency-ms" && next(v)) {
      mergeFault(faults, "latency_ms", std::atoi(v.c_str()));
    } else if (a == "--drop-after-calls" && next(v)) {
      mergeFault(faults, "drop_after_calls", std::atoi(v.c_str()));
    } else if (a == "--pause") {
      mergeFault(faults, "pause", true);
    } else if (a == "--fail" && next(v)) {
      // METHOD[:ERRNO[:TIMES[:MESSAGE]]]
      Json rule = Json::object();
      std::vector<std::string> parts;
      size_t start = 0;
      for (int k = 0; k < 3; ++k) {
        size_t c = v.find(':', start);
        if (c == std::string::npos) break;
        parts.push_back(v.substr(start, c - start));
        start = c + 1;
      }
      parts.push_back(v.substr(start));
      rule.set("method", parts[0]);
      rule.set("code", "CallError");
      if (parts.size() > 1) rule.set("errno", std::atoi(parts[1].c_str()));
      if (parts.size() > 2) rule.set("times", std::atoi(parts[2].c_str()));
      if (parts.size() > 3) rule.set("message", parts[3]);
      mergeFault(faults, "fail", rule);
    } else if (a == "--faults" && next(v)) {
      auto parsed = Json::parse(v);
      if (!parsed.ok() || !parsed->isObject()) return usage("--faults wants a JSON object");
      for (const auto& [k, val] : parsed->asObject()) mergeFault(faults, k, val);
    } else if (a == "--rate-limit-delay-ms" && next(v)) {
      size_t colon = v.find(':');
      o.rateLimitDelayMsMin = std::atoi(v.substr(0, colon).c_str());
      o.rateLimitDelayMsMax = colon == std::string::npos ? o.rateLimitDelayMsMin
                                                         : std::atoi(v.substr(colon + 1).c_str());
    } else if (a == "--auth-fail-delay-ms" && next(v)) {
      o.authFailDelayMs = std::atoi(v.c_str());
    } else if (a == "--log-level" && next(v)) {
      tnascsi::common::LogLevel level;
      if (!tnascsi::common::parseLogLevel(v, &level)) return usage("bad --log-level");
      tnascsi::common::setLogLevel(level);
    } else {
      return usage("unknown or incomplete option '" + a + "'");
    }
  }
  if (listen.empty()) return usage("--listen is required");
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return usage("--listen wants HOST:PORT");
  o.host = listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
  o.port = static_cast<uint16_t>(std::atoi(listen.substr(colon + 1).c_str()));
  if (apiKeyFile.empty()) return usage("--api-key-file is required");
  auto key = tnascsi::common::readSecretFile(apiKeyFile);
  if (!key.ok()) return usage(std::string(key.status().message()));
  // TrueNAS keys are "<id>-<64 alnum>"; clients accept any length (^\d+-[a-zA-Z0-9]+$).
  if (!std::regex_match(*key, std::regex("^[0-9]+-[A-Za-z0-9]+$"))) {
    return usage("the API key in " + apiKeyFile + " is not in TrueNAS format <id>-<alnum>");
  }
  if (key->size() - key->find('-') - 1 != 64) {
    TNAS_LOG(Warn) << "the API key is not <id>-<64 alnum> as TrueNAS generates it";
  }
  o.apiKey = *key;
  if (o.tlsCert.empty() != o.tlsKey.empty()) return usage("--tls-cert and --tls-key go together");
  o.faults = faults;

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  std::unique_ptr<tnascsi::sim::Backing> backing;
  if (!backingExec.empty()) backing = std::make_unique<tnascsi::sim::ExecBacking>(backingExec);
  auto server = tnascsi::sim::SimServer::create(o, std::move(backing));
  if (!server.ok()) {
    std::cerr << "truenas-sim: " << server.status().message() << "\n";
    return 1;
  }
  auto port = (*server)->start();
  if (!port.ok()) {
    std::cerr << "truenas-sim: " << port.status().message() << "\n";
    return 1;
  }
  std::cout << "truenas-sim " << o.personality << " listening on " << (*server)->wsUrl()
            << std::endl;
  TNAS_LOG(Info).kv("personality", o.personality).kv("url", (*server)->wsUrl()) << "started";
  int sig = 0;
  sigwait(&stopSignals, &sig);
  TNAS_LOG(Info).kv("signal", sig) << "stopping";
  (*server)->stop();
  return 0;
}
