// Reading one series of a server's Prometheus /metrics text (tests).
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

namespace messenger::e2e {

// The value of `series` (name with its labels as rendered, e.g.
// `gateway_sync_polls_waiting` or `x_total{path="queued"}`) in `text`.
std::optional<double> MetricValue(std::string_view text, std::string_view series);
// The same, scraped from GET /metrics of `client`; nullopt when unreachable.
std::optional<double> ScrapeMetric(httplib::Client& client, std::string_view series);

}  // namespace messenger::e2e
