// Where log lines go (common/log.h): stderr, or a sink set here. For tests
// that read the lines a component wrote.
#pragma once

#include <functional>
#include <string_view>

namespace messenger::log {

// Each line (with its newline) goes to `sink` until it is reset with nullptr.
void SetSink(std::function<void(std::string_view line)> sink);

}  // namespace messenger::log
