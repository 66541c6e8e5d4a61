// Version-aware request building (see request_build.h).
#include "controller/truenas/request_build.h"

#include <Poco/JSON/Object.h>

#include "controller/truenas/entity_parse.h"

namespace tnascsi::controller::truenas {
namespace {

using Poco::JSON::Object;

json::Var filterValue(const FilterValue& value) {
  struct Visitor {
    json::Var operator()(std::nullptr_t) const { return json::Var(); }
    json::Var operator()(bool b) const { return json::Var(b); }
    json::Var operator()(int64_t i) const { return json::Var(i); }
    json::Var operator()(double d) const { return json::Var(d); }
    json::Var operator()(const std::string& s) const { return json::Var(s); }
    json::Var operator()(const std::vector<std::string>& v) const {
      return json::Var(json::stringArray(v));
    }
    json::Var operator()(const std::vector<int64_t>& v) const {
      json::ArrayPtr a = json::makeArray();
      for (int64_t i : v) a->add(i);
      return json::Var(a);
    }
  };
  return std::visit(Visitor{}, value);
}

json::ArrayPtr encodeTerm(const QueryFilter::Term& t, const Capabilities& caps, bool nfsShares) {
  if (nfsShares && caps.nfsPathsList && t.field == "path" && t.op == FilterOp::kEq) {
    return json::makeArray({std::string("paths"), std::string("rin"), filterValue(t.value)});
  }
  return json::makeArray({t.field, filterOpString(t.op, t.caseInsensitive), filterValue(t.value)});
}

void setIf(json::ObjectPtr o, const char* key, const std::optional<std::string>& v) {
  if (v) o->set(key, *v);
}
void setIf(json::ObjectPtr o, const char* key, const std::optional<bool>& v) {
  if (v) o->set(key, *v);
}
void setIf(json::ObjectPtr o, const char* key, const std::optional<uint64_t>& v) {
  if (v) o->set(key, static_cast<int64_t>(*v));
}

json::ArrayPtr groupsArray(const std::vector<IscsiTargetGroup>& groups) {
  json::ArrayPtr a = json::makeArray();
  for (const auto& g : groups) {
    json::ObjectPtr o = new Object();
    o->set("portal", g.portal);
    o->set("initiator", g.initiator ? json::Var(*g.initiator) : json::Var());
    o->set("authmethod", g.authMethod == IscsiAuthMethod::kChap         ? "CHAP"
                         : g.authMethod == IscsiAuthMethod::kChapMutual ? "CHAP_MUTUAL"
                                                                        : "NONE");
    o->set("auth", g.auth ? json::Var(*g.auth) : json::Var());
    a->add(o);
  }
  return a;
}

}  // namespace

json::ArrayPtr encodeFilter(const QueryFilter& filter, const Capabilities& caps, bool nfsShares) {
  json::ArrayPtr out = json::makeArray();
  for (const auto& c : filter.conditions()) {
    if (const auto* t = std::get_if<QueryFilter::Term>(&c)) {
      out->add(encodeTerm(*t, caps, nfsShares));
      continue;
    }
    const auto& group = std::get<QueryFilter::Or>(c);
    json::ArrayPtr branches = json::makeArray();
    for (const auto& b : group.branches) {
      json::ArrayPtr encoded = encodeFilter(b, caps, nfsShares);
      // A one-condition branch is sent as the condition itself; longer ones as a nested list.
      branches->add(encoded->size() == 1 ? encoded->get(0) : json::Var(encoded));
    }
    out->add(json::makeArray({std::string("OR"), json::Var(branches)}));
  }
  return out;
}

json::ObjectPtr encodeOptions(const QueryOptions& options, const json::ObjectPtr& extra) {
  json::ObjectPtr o = new Object();
  if (!options.select.empty()) o->set("select", json::stringArray(options.select));
  if (!options.orderBy.empty()) o->set("order_by", json::stringArray(options.orderBy));
  if (options.offset > 0) o->set("offset", options.offset);
  if (options.limit > 0) o->set("limit", options.limit);
  if (options.count) o->set("count", true);
  if (options.get) o->set("get", true);
  if (extra && extra->size() > 0) o->set("extra", extra);
  return o;
}

json::ArrayPtr queryParams(const QueryFilter& filter, const QueryOptions& options,
                           const Capabilities& caps, const json::ObjectPtr& extra, bool nfsShares) {
  return json::makeArray(
      {json::Var(encodeFilter(filter, caps, nfsShares)), json::Var(encodeOptions(options, extra))});
}

std::string snapshotMethod(const Capabilities& caps, const std::string& verb) {
  return (caps.poolSnapshotNamespace ? "pool.snapshot." : "zfs.snapshot.") + verb;
}

StatusOr<std::string> volblocksizeString(uint64_t bytes) {
  switch (bytes) {
    case 512:
      return std::string("512");
    case 1024:
      return std::string("1K");
    case 2048:
      return std::string("2K");
    case 4096:
      return std::string("4K");
    case 8192:
      return std::string("8K");
    case 16384:
      return std::string("16K");
    case 32768:
      return std::string("32K");
    case 65536:
      return std::string("64K");
    case 131072:
      return std::string("128K");
    default:
      return absl::InvalidArgumentError("volblocksize " + std::to_string(bytes) +
                                        " is not one of 512, 1K, 2K, ... 128K");
  }
}

StatusOr<json::ObjectPtr> buildDatasetCreate(const DatasetCreateSpec& spec,
                                             const Capabilities& caps) {
  json::ObjectPtr o = new Object();
  o->set("name", spec.name);
  const bool volume = spec.type == DatasetType::kVolume;
  o->set("type", volume ? "VOLUME" : "FILESYSTEM");
  if (volume) {
    if (!spec.volsize) return absl::InvalidArgumentError("a VOLUME needs a volsize");
    o->set("volsize", static_cast<int64_t>(*spec.volsize));
    if (spec.volblocksize) {
      TNAS_ASSIGN_OR_RETURN(std::string vbs, volblocksizeString(*spec.volblocksize));
      o->set("volblocksize", vbs);
    }
    setIf(o, "sparse", spec.sparse);
    setIf(o, "force_size", spec.forceSize);
  } else {
    setIf(o, "quota", spec.quota);
    setIf(o, "refquota", spec.refquota);
    // CORE 13 knows only GENERIC/SMB share types (reference §9): NFS there is plain GENERIC.
    if (caps.datasetUserProperties || spec.shareType != "NFS")
      setIf(o, "share_type", spec.shareType);
  }
  setIf(o, "reservation", spec.reservation);
  setIf(o, "refreservation", spec.refreservation);
  setIf(o, "sync", spec.sync);
  if (spec.compression && !caps.compressionOnAndInherit &&
      (*spec.compression == "ON" || *spec.compression == "INHERIT")) {
    // CORE 13.0's pool.dataset.create enum has neither (TN-13.0-U6.8:src/middlewared/middlewared/
    // plugins/pool.py:53-57,2920).
    return absl::InvalidArgumentError("compression " + *spec.compression +
                                      " is not accepted by TrueNAS CORE; name an algorithm (LZ4, "
                                      "ZSTD, ...) or OFF");
  }
  setIf(o, "compression", spec.compression);
  setIf(o, "deduplication", spec.dedup);
  if (caps.datasetUserProperties) {
    setIf(o, "comments", spec.comments);
    setIf(o, "create_ancestors", spec.createAncestors);
    if (!spec.userProperties.empty()) {
      json::ArrayPtr props = json::makeArray();
      for (const auto& [k, v] : spec.userProperties) {
        json::ObjectPtr p = new Object();
        p->set("key", k);
        p->set("value", v);
        props->add(p);
      }
      o->set("user_properties", props);
    }
  } else if (!spec.userProperties.empty()) {
    // CORE: no user_properties in the API; they travel in comments (read back by parseDataset).
    o->set("comments", encodeCommentsProperties(spec.userProperties));
  } else {
    setIf(o, "comments", spec.comments);
  }
  return o;
}

StatusOr<json::ObjectPtr> buildDatasetUpdate(const DatasetUpdateSpec& spec,
                                             const Capabilities& caps,
                                             const std::string& currentComments) {
  json::ObjectPtr o = new Object();
  setIf(o, "volsize", spec.volsize);
  setIf(o, "force_size", spec.forceSize);
  setIf(o, "sync", spec.sync);
  setIf(o, "compression", spec.compression);
  setIf(o, "deduplication", spec.dedup);
  setIf(o, "quota", spec.quota);
  setIf(o, "refquota", spec.refquota);
  setIf(o, "reservation", spec.reservation);
  setIf(o, "refreservation", spec.refreservation);
  const bool propsChange = !spec.setUserProperties.empty() || !spec.removeUserProperties.empty();
  if (caps.datasetUserProperties) {
    setIf(o, "comments", spec.comments);
    if (propsChange) {
      json::ArrayPtr updates = json::makeArray();
      for (const auto& [k, v] : spec.setUserProperties) {
        json::ObjectPtr p = new Object();
        p->set("key", k);
        p->set("value", v);
        updates->add(p);
      }
      for (const auto& k : spec.removeUserProperties) {
        json::ObjectPtr p = new Object();
        p->set("key", k);
        p->set("remove", true);
        updates->add(p);
      }
      o->set("user_properties_update", updates);
    }
  } else if (propsChange) {
    auto props = decodeCommentsProperties(currentComments);
    for (const auto& [k, v] : spec.setUserProperties) props[k] = v;
    for (const auto& k : spec.removeUserProperties) props.erase(k);
    o->set("comments", encodeCommentsProperties(props));
  } else {
    setIf(o, "comments", spec.comments);
  }
  return o;
}

json::ObjectPtr buildSnapshotCreate(const SnapshotCreateSpec& spec, const Capabilities& caps) {
  (void)caps;  // same shape in every release for the fields we send
  json::ObjectPtr o = new Object();
  o->set("dataset", spec.dataset);
  o->set("name", spec.name);
  if (spec.recursive) o->set("recursive", true);
  if (!spec.userProperties.empty()) {
    json::ObjectPtr props = new Object();
    for (const auto& [k, v] : spec.userProperties) props->set(k, v);
    o->set("properties", props);
  }
  return o;
}

json::ObjectPtr buildSnapshotClone(const SnapshotCloneSpec& spec) {
  json::ObjectPtr o = new Object();
  o->set("snapshot", spec.snapshot);
  o->set("dataset_dst", spec.datasetDst);
  if (!spec.datasetProperties.empty()) {
    json::ObjectPtr props = new Object();
    for (const auto& [k, v] : spec.datasetProperties) props->set(k, v);
    o->set("dataset_properties", props);
  }
  return o;
}

json::ObjectPtr buildPortalCreate(const IscsiPortalCreateSpec& spec) {
  json::ObjectPtr o = new Object();
  json::ArrayPtr listen = json::makeArray();
  for (const auto& ip : spec.listenIps) {
    json::ObjectPtr l = new Object();
    l->set("ip", ip);
    listen->add(l);
  }
  o->set("listen", listen);
  o->set("comment", spec.comment);
  return o;
}

json::ObjectPtr buildInitiatorGroup(const IscsiInitiatorGroupSpec& spec) {
  json::ObjectPtr o = new Object();
  o->set("initiators", json::stringArray(spec.initiators));
  o->set("comment", spec.comment);
  return o;
}

json::ObjectPtr buildAuth(const IscsiAuthSpec& spec) {
  json::ObjectPtr o = new Object();
  o->set("tag", spec.tag);
  o->set("user", spec.user);
  o->set("secret", spec.secret);
  o->set("peeruser", spec.peeruser);
  o->set("peersecret", spec.peersecret);
  return o;
}

json::ObjectPtr buildTargetCreate(const IscsiTargetSpec& spec, const Capabilities& caps) {
  json::ObjectPtr o = new Object();
  o->set("name", spec.name);
  o->set("alias", spec.alias ? json::Var(*spec.alias) : json::Var());
  o->set("mode", "ISCSI");
  o->set("groups", groupsArray(spec.groups));
  if (!caps.nfsPathsList) o->set("auth_networks", json::stringArray(spec.authNetworks));
  return o;
}

json::ObjectPtr buildTargetUpdate(const IscsiTargetUpdateSpec& spec, const Capabilities& caps) {
  json::ObjectPtr o = new Object();
  setIf(o, "name", spec.name);
  if (spec.alias) o->set("alias", *spec.alias ? json::Var(**spec.alias) : json::Var());
  if (spec.groups) o->set("groups", groupsArray(*spec.groups));
  if (spec.authNetworks && !caps.nfsPathsList) {
    o->set("auth_networks", json::stringArray(*spec.authNetworks));
  }
  return o;
}

json::ObjectPtr buildExtentCreate(const IscsiExtentCreateSpec& spec, const Capabilities& caps) {
  json::ObjectPtr o = new Object();
  o->set("name", spec.name);
  o->set("type", "DISK");
  o->set("disk", spec.disk);
  setIf(o, "serial", spec.serial);
  o->set("blocksize", spec.blocksize);
  o->set("pblocksize", spec.pblocksize);
  o->set("comment", spec.comment);
  o->set("insecure_tpc", spec.insecureTpc);
  o->set("xen", spec.xen);
  o->set("rpm", spec.rpm);
  o->set("ro", spec.ro);
  o->set("enabled", spec.enabled);
  if (caps.extentProductId) setIf(o, "product_id", spec.productId);
  return o;
}

json::ObjectPtr buildExtentUpdate(const IscsiExtentUpdateSpec& spec) {
  json::ObjectPtr o = new Object();
  setIf(o, "name", spec.name);
  setIf(o, "disk", spec.disk);
  setIf(o, "comment", spec.comment);
  setIf(o, "ro", spec.ro);
  setIf(o, "enabled", spec.enabled);
  if (spec.blocksize) o->set("blocksize", *spec.blocksize);
  setIf(o, "serial", spec.serial);
  return o;
}

json::ObjectPtr buildTargetExtent(const IscsiTargetExtentSpec& spec) {
  json::ObjectPtr o = new Object();
  o->set("target", spec.target);
  o->set("extent", spec.extent);
  o->set("lunid", spec.lunid ? json::Var(*spec.lunid) : json::Var());
  return o;
}

json::ObjectPtr buildNfsCreate(const NfsShareSpec& spec, const Capabilities& caps) {
  json::ObjectPtr o = new Object();
  if (caps.nfsPathsList) {
    o->set("paths", json::stringArray({spec.path}));
  } else {
    o->set("path", spec.path);
  }
  o->set("comment", spec.comment);
  o->set("networks", json::stringArray(spec.networks));
  o->set("hosts", json::stringArray(spec.hosts));
  o->set("ro", spec.ro);
  // "root" names the group with gid 0, which FreeBSD calls "wheel": CORE looks map groups up by
  // name and refuses an unknown one ("Group not found", TN-13.0-U6.8:src/middlewared/middlewared/
  // plugins/nfs.py:405-411).
  auto group = [&](const std::optional<std::string>& g) -> std::optional<std::string> {
    if (g && *g == "root") return caps.rootGroupName;
    return g;
  };
  setIf(o, "maproot_user", spec.maprootUser);
  setIf(o, "maproot_group", group(spec.maprootGroup));
  setIf(o, "mapall_user", spec.mapallUser);
  setIf(o, "mapall_group", group(spec.mapallGroup));
  // Only when asked for: an empty list is every version's default (sys).
  if (!spec.security.empty()) o->set("security", json::stringArray(spec.security));
  o->set("enabled", spec.enabled);
  return o;
}

json::ObjectPtr buildNfsUpdate(const NfsShareUpdateSpec& spec) {
  json::ObjectPtr o = new Object();
  setIf(o, "comment", spec.comment);
  if (spec.networks) o->set("networks", json::stringArray(*spec.networks));
  if (spec.hosts) o->set("hosts", json::stringArray(*spec.hosts));
  setIf(o, "ro", spec.ro);
  setIf(o, "enabled", spec.enabled);
  return o;
}

}  // namespace tnascsi::controller::truenas
