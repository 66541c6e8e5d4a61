// Backends from flags or the config file (see controller_config.h).
#include "controller/service/controller_config.h"

#include "common/config/config_file.h"
#include "controller/truenas/endpoint.h"

namespace tnascsi::controller {
namespace {

StatusOr<std::map<std::string, std::string>> parseTopology(const std::vector<std::string>& pairs,
                                                           const std::string& where) {
  std::map<std::string, std::string> out;
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      return absl::InvalidArgumentError(where + ": topology segment '" + pair +
                                        "' must be key=value");
    }
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

// Fills defaults that derive from the URL: NFS server = the URL's host, portal = host:3260.
Status finish(BackendSpec& spec, const std::string& where) {
  if (spec.connection.url.empty())
    return absl::InvalidArgumentError(where + ": truenas-url is required");
  if (spec.connection.apiKeyFile.empty()) {
    return absl::InvalidArgumentError(where + ": api-key-file is required");
  }
  auto endpoint = truenas::parseEndpoint(spec.connection.url);
  if (!endpoint.ok()) return common::annotate(endpoint.status(), where + ": truenas-url");
  if (spec.config.nfsServer.empty()) spec.config.nfsServer = endpoint->host;
  if (spec.config.portals.empty()) spec.config.portals = {endpoint->host + ":3260"};
  return common::annotate(provision::validateBackendConfig(spec.config), where);
}

// Connections per backend: 1..8 (each logs in; ConnectionPool::loginBudget keeps the logins of
// all of them under TrueNAS's limit).
Status setConnections(BackendSpec& spec, int64_t n, const std::string& where) {
  if (n == 0) return absl::OkStatus();
  if (n < 1 || n > 8) {
    return absl::InvalidArgumentError(where + ": connections must be between 1 and 8, got " +
                                      std::to_string(n));
  }
  spec.connection.poolSize = static_cast<int>(n);
  return absl::OkStatus();
}

StatusOr<BackendSpec> fromObject(const common::ConfigNode& obj, size_t index,
                                 int64_t defaultConnections) {
  std::string where = "backends[" + std::to_string(index) + "]";
  TNAS_RETURN_IF_ERROR(common::checkKnownKeys(
      obj,
      {"name", "truenas-url", "api-key-file", "parent-dataset", "portals", "portal", "nfs-server",
       "ca-file", "insecure-skip-verify", "topology", "username", "connections"},
      where));
  BackendSpec spec;
  TNAS_ASSIGN_OR_RETURN(spec.config.name, common::getString(obj, "name"));
  TNAS_ASSIGN_OR_RETURN(spec.connection.url, common::getString(obj, "truenas-url"));
  TNAS_ASSIGN_OR_RETURN(spec.connection.apiKeyFile, common::getString(obj, "api-key-file"));
  TNAS_ASSIGN_OR_RETURN(spec.connection.username, common::getString(obj, "username", ""));
  TNAS_ASSIGN_OR_RETURN(spec.config.parentDataset, common::getString(obj, "parent-dataset"));
  TNAS_ASSIGN_OR_RETURN(spec.config.portals, common::getStringList(obj, "portals", {}));
  TNAS_ASSIGN_OR_RETURN(std::string portal, common::getString(obj, "portal", ""));
  if (!portal.empty()) spec.config.portals.insert(spec.config.portals.begin(), portal);
  TNAS_ASSIGN_OR_RETURN(spec.config.nfsServer, common::getString(obj, "nfs-server", ""));
  TNAS_ASSIGN_OR_RETURN(spec.connection.caFile, common::getString(obj, "ca-file", ""));
  TNAS_ASSIGN_OR_RETURN(spec.connection.insecureSkipVerify,
                        common::getBool(obj, "insecure-skip-verify", false));
  TNAS_ASSIGN_OR_RETURN(int64_t connections,
                        common::getInt(obj, "connections", defaultConnections));
  TNAS_RETURN_IF_ERROR(setConnections(spec, connections, where + ".connections"));
  TNAS_ASSIGN_OR_RETURN(auto topology, common::getObjectOrEmpty(obj, "topology"));
  for (const auto& item : topology.items()) {
    const std::string& key = item.key();
    TNAS_ASSIGN_OR_RETURN(spec.config.topology[key], common::getString(topology, key));
  }
  TNAS_RETURN_IF_ERROR(finish(spec, where + " (" + spec.config.name + ")"));
  return spec;
}

}  // namespace

void addControllerFlags(common::Flags& flags, ControllerFlags* o) {
  flags.addString("truenas-url", &o->truenasUrl,
                  "TrueNAS API endpoint, wss://host[:port] (single-backend mode)");
  flags.addString("api-key-file", &o->apiKeyFile, "file holding the TrueNAS API key");
  flags.addString("parent-dataset", &o->parentDataset,
                  "dataset under which volumes are created, e.g. tank/k8s");
  flags.addStringList("portal", &o->portals,
                      "iSCSI portal host:port for volume contexts (repeatable; default "
                      "<url host>:3260)");
  flags.addString("nfs-server", &o->nfsServer,
                  "NFS server address for volume contexts "
                  "(default: the URL's host)");
  flags.addString("ca-file", &o->caFile, "PEM CA bundle to verify TrueNAS's certificate");
  flags.addBool("insecure-skip-verify", &o->insecureSkipVerify,
                "do not verify TrueNAS's TLS certificate (testing only)");
  flags.addStringList("backend-topology", &o->topology,
                      "key=value topology segment of the single backend's volumes (repeatable)");
  flags.addInt("truenas-connections", &o->connections,
               "authenticated connections per TrueNAS backend, 1-8 (default 4; opened only "
               "under load)");
  flags.addString("default-backend", &o->defaultBackend,
                  "backend used when a StorageClass names none (default: the first)");
  flags.addInt("sweep-delay-ms", &o->sweepDelayMs,
               "delay in ms between the last iSCSI DeleteVolume and the sweep of leftover "
               "initiator groups/targets (also after start-up)");
  flags.addInt("sweep-max-delay-ms", &o->sweepMaxDelayMs,
               "longest wait in ms of that sweep under continuous deletes, and the retry "
               "interval of a failed sweep");
}

StatusOr<ResolvedBackends> resolveBackends(const ControllerFlags& flags,
                                           const common::ConfigNode& config) {
  ResolvedBackends out;
  out.defaultBackend = flags.defaultBackend;
  bool haveSection = common::hasKey(config, "backends");
  if (!flags.truenasUrl.empty() && haveSection) {
    return absl::InvalidArgumentError(
        "both --truenas-url and a 'backends' config section are given; use one of them");
  }
  if (!flags.truenasUrl.empty()) {
    BackendSpec spec;
    spec.config.name = "default";
    spec.config.parentDataset = flags.parentDataset;
    spec.config.portals = flags.portals;
    spec.config.nfsServer = flags.nfsServer;
    TNAS_ASSIGN_OR_RETURN(spec.config.topology,
                          parseTopology(flags.topology, "--backend-topology"));
    spec.connection.url = flags.truenasUrl;
    spec.connection.apiKeyFile = flags.apiKeyFile;
    spec.connection.caFile = flags.caFile;
    spec.connection.insecureSkipVerify = flags.insecureSkipVerify;
    TNAS_RETURN_IF_ERROR(setConnections(spec, flags.connections, "--truenas-connections"));
    if (flags.parentDataset.empty()) {
      return absl::InvalidArgumentError("--parent-dataset is required with --truenas-url");
    }
    TNAS_RETURN_IF_ERROR(finish(spec, "--truenas-url backend"));
    out.backends.push_back(std::move(spec));
  } else if (haveSection) {
    TNAS_ASSIGN_OR_RETURN(auto list, common::getObjectList(config, "backends"));
    for (size_t i = 0; i < list.size(); ++i) {
      TNAS_ASSIGN_OR_RETURN(BackendSpec spec, fromObject(list[i], i, flags.connections));
      for (const auto& other : out.backends) {
        if (other.config.name == spec.config.name) {
          return absl::InvalidArgumentError("backend name '" + spec.config.name +
                                            "' is used twice");
        }
      }
      out.backends.push_back(std::move(spec));
    }
  }
  if (!out.defaultBackend.empty()) {
    bool found = false;
    for (const auto& b : out.backends) found = found || b.config.name == out.defaultBackend;
    if (!found) {
      return absl::InvalidArgumentError("--default-backend '" + out.defaultBackend +
                                        "' is not a configured backend");
    }
  }
  return out;
}

}  // namespace tnascsi::controller
