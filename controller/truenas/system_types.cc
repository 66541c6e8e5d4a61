// Product-type names (see system_types.h).
#include "controller/truenas/system_types.h"

namespace tnascsi::controller::truenas {

ProductType parseProductType(const std::string& text) {
  if (text == "SCALE") return ProductType::kScale;
  if (text == "SCALE_ENTERPRISE") return ProductType::kScaleEnterprise;
  if (text == "COMMUNITY_EDITION") return ProductType::kCommunityEdition;
  if (text == "CORE") return ProductType::kCore;
  return ProductType::kUnknown;
}

const char* productTypeName(ProductType type) {
  switch (type) {
    case ProductType::kScale:
      return "SCALE";
    case ProductType::kScaleEnterprise:
      return "SCALE_ENTERPRISE";
    case ProductType::kCommunityEdition:
      return "COMMUNITY_EDITION";
    case ProductType::kCore:
      return "CORE";
    case ProductType::kUnknown:
      break;
  }
  return "UNKNOWN";
}

}  // namespace tnascsi::controller::truenas
