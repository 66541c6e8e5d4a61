// tnas-guest-backing: the simulator's real backing inside the test guest. Reads one event (JSON)
// from stdin, applies it (see events.h), exits 0 when applied; otherwise prints one line to stderr
// (the simulator reports it as the call error) and exits 1. Secrets arrive only on stdin.
//
//   tnas-guest-backing [--configfs DIR] [--exports FILE] [--no-exportfs] [--mnt DIR] [--verbose]
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "common/log/log.h"
#include "test/guest/backing/events.h"

int main(int argc, char** argv) {
  using namespace tnascsi;
  sim::BackingOptions options;
  common::setLogLevel(common::LogLevel::kWarn);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tnas-guest-backing: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--configfs") {
      options.configfsRoot = next();
    } else if (arg == "--exports") {
      options.exportsFile = next();
    } else if (arg == "--no-exportfs") {
      options.exportfsCommand.clear();
    } else if (arg == "--mnt") {
      options.mountRoot = next();
    } else if (arg == "--verbose") {
      common::setLogLevel(common::LogLevel::kDebug);
    } else {
      std::fprintf(stderr, "tnas-guest-backing: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Poco::JSON::Object::Ptr event;
  try {
    event = Poco::JSON::Parser().parse(input).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    std::fprintf(stderr, "tnas-guest-backing: invalid event JSON: %s\n", e.displayText().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tnas-guest-backing: invalid event JSON: %s\n", e.what());
    return 1;
  }
  if (event.isNull()) {
    std::fprintf(stderr, "tnas-guest-backing: the event is not a JSON object\n");
    return 1;
  }
  Status status = sim::handleEvent(*event, options);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
