#include "messaging-service/src/domain/matrix_bundles.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace messenger::messaging {
namespace {

using nlohmann::json;

TEST(MatrixBundles, TheEditIsBundledInClientFormAndNotApplied) {
  const json original = {{"type", "m.room.message"}, {"content", {{"body", "first"}}},
                         {"sender", "@b:x"},         {"room_id", "!r:x"},
                         {"origin_server_ts", 1},    {"unsigned", {{"kept", 1}}}};
  const json edit = {{"type", "m.room.message"},
                     {"content", {{"body", "* fixed"}, {"m.new_content", {{"body", "fixed"}}}}},
                     {"sender", "@b:x"},
                     {"room_id", "!r:x"},
                     {"origin_server_ts", 2},
                     {"hashes", {{"sha256", "h"}}},
                     {"signatures", json::object()},
                     {"depth", 4},
                     {"auth_events", json::array()},
                     {"prev_events", json::array()}};
  const json got = json::parse(WithBundledEdit(original.dump(), "$edit", edit.dump()));
  EXPECT_EQ(got["content"], original["content"]);
  EXPECT_EQ(got["unsigned"]["kept"], 1);
  const json& bundled = got["unsigned"]["m.relations"]["m.replace"];
  EXPECT_EQ(bundled, json({{"event_id", "$edit"},
                           {"type", "m.room.message"},
                           {"content", edit["content"]},
                           {"sender", "@b:x"},
                           {"room_id", "!r:x"},
                           {"origin_server_ts", 2}}));
}

TEST(MatrixBundles, NotAnObjectIsLeftAsItIs) {
  EXPECT_EQ(WithBundledEdit("[1]", "$e", "{}"), "[1]");
  EXPECT_EQ(WithBundledEdit(R"({"a":1})", "$e", "nope"), R"({"a":1})");
}

}  // namespace
}  // namespace messenger::messaging
