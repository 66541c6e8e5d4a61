// Node id parsing (see node_id.h).
#include "controller/provision/node_id.h"

#include <cctype>

namespace tnascsi::controller::provision {
namespace {

bool isHostName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

}  // namespace

bool isValidIqn(const std::string& iqn) {
  if (iqn.size() > 223) return false;
  if (iqn.rfind("eui.", 0) == 0) {
    if (iqn.size() != 20) return false;
    for (size_t i = 4; i < iqn.size(); ++i) {
      if (!std::isxdigit(static_cast<unsigned char>(iqn[i]))) return false;
    }
    return true;
  }
  // iqn.yyyy-mm.x...
  if (iqn.rfind("iqn.", 0) != 0 || iqn.size() < 13) return false;
  for (size_t i = 4; i < 8; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(iqn[i]))) return false;
  }
  if (iqn[8] != '-' || !std::isdigit(static_cast<unsigned char>(iqn[9])) ||
      !std::isdigit(static_cast<unsigned char>(iqn[10])) || iqn[11] != '.') {
    return false;
  }
  for (size_t i = 12; i < iqn.size(); ++i) {
    char c = iqn[i];
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) {
      return false;
    }
  }
  return true;
}

std::optional<NodeId> parseNodeId(const std::string& id) {
  NodeId out;
  size_t slash = id.find('/');
  out.name = id.substr(0, slash);
  if (slash != std::string::npos) {
    out.iqn = id.substr(slash + 1);
    if (!isValidIqn(out.iqn)) return std::nullopt;
  }
  if (!isHostName(out.name)) return std::nullopt;
  return out;
}

}  // namespace tnascsi::controller::provision
