// /_matrix/key/v2/server and the notary /_matrix/key/v2/query: forwarded to
// messaging's FederationService, which signs and checks everything.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gateway/src/gateway.h"
#include "gateway/src/matrix/federation_errors.h"

namespace messenger::gateway {
namespace {

absl::StatusOr<http::Response> Notary(Gateway& gw, std::string query) {
  federation::v1::JsonDocument request, response;
  request.set_json(std::move(query));
  RETURN_IF_ERROR(gw.Call(*gw.stubs().federation,
                          &federation::v1::FederationService::Stub::QueryServerKeys, request,
                          &response));
  return JsonText(std::move(*response.mutable_json()));
}

}  // namespace

void AddKeyRoutes(Gateway& gw) {
  gw.Route("GET", "/_matrix/key/v2/server", false,
           FederationRoute([&gw](RouteContext&) -> absl::StatusOr<http::Response> {
             federation::v1::GetServerKeysRequest request;
             federation::v1::JsonDocument response;
             RETURN_IF_ERROR(gw.Call(*gw.stubs().federation,
                                     &federation::v1::FederationService::Stub::GetServerKeys,
                                     request, &response));
             return JsonText(std::move(*response.mutable_json()));
           }));
  gw.Route("POST", "/_matrix/key/v2/query", false,
           FederationRoute([&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             return Notary(gw, c.request.body);
           }));
  gw.Route("GET", "/_matrix/key/v2/query/{server_name}", false,
           FederationRoute([&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
             // The GET form is the POST query for one server, all its keys.
             nlohmann::json criteria = nlohmann::json::object();
             ASSIGN_OR_RETURN(int64_t minimum,
                              c.query.Int("minimum_valid_until_ts", 0, int64_t{1} << 53, 0));
             if (minimum > 0) criteria["*"] = {{"minimum_valid_until_ts", minimum}};
             nlohmann::json query = {{"server_keys", {{c.params["server_name"], criteria}}}};
             return Notary(gw, query.dump());
           }));
}

}  // namespace messenger::gateway
