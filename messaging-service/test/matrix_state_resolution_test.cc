// State resolution v2. The forks of the first tests are the ones of the
// reference implementation's state resolution tests (Synapse
// tests/state/test_v2.py), built here from real signed v10 events; the
// expected states are what the spec's algorithm gives for them (each case's
// comment walks through it).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "messaging-service/test/matrix_dag_builder.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;
using test_dag::DagBuilder;
using test_dag::kAlice;
using test_dag::kBob;
using test_dag::kCharlie;
using test_dag::kZara;

class StateResolutionTest : public ::testing::Test {
 protected:
  StateResolutionTest() { dag_.AddInitialEvents(); }

  StateIds Resolve(const std::vector<std::string>& heads) {
    std::vector<StateIds> states;
    for (const std::string& head : heads) states.push_back(dag_.StateAfter(head));
    auto resolved = ResolveState(states, dag_.source());
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return resolved.ok() ? *resolved : StateIds();
  }

  // Names instead of ids, so a failure says which event won.
  std::map<std::string, std::string> Named(const StateIds& state) const {
    std::map<std::string, std::string> named;
    for (const auto& [key, id] : state) named[key.type + "|" + key.state_key] = dag_.NameOf(id);
    return named;
  }

  void ExpectResolution(const std::vector<std::string>& heads,
                        const std::vector<std::string>& changed) {
    EXPECT_EQ(Named(Resolve(heads)), Named(dag_.StateWith("START", changed)));
  }

  // Alice sets topics T1, T2 around power levels PA1 (bob at 50) and PA2
  // (bob at 0); on a branch from PA1 bob re-sends them (PB) and sets T3.
  void AddTopicFork() {
    dag_.AddTopic("T1", kAlice, {"START"});
    dag_.AddPowerLevels("PA1", kAlice, {{kAlice, 100}, {kBob, 50}}, {"T1"});
    dag_.AddTopic("T2", kAlice, {"PA1"});
    dag_.AddPowerLevels("PA2", kAlice, {{kAlice, 100}, {kBob, 0}}, {"T2"});
    dag_.AddPowerLevels("PB", kBob, {{kAlice, 100}, {kBob, 50}}, {"PA1"});
    dag_.AddTopic("T3", kBob, {"PB"});
  }

  DagBuilder dag_;
};

// Alice bans bob on one branch; bob re-sends the power levels on the other.
// The ban is a power event by a higher sender, so it is applied first and
// bob's power levels event then fails (bob is no longer joined).
TEST_F(StateResolutionTest, BanBeatsConcurrentPowerLevelsOfTheBannedUser) {
  dag_.AddPowerLevels("PA", kAlice, {{kAlice, 100}, {kBob, 50}}, {"START"});
  dag_.AddMember("MA", kAlice, kAlice, "join", {"PA"});
  dag_.AddMember("MB", kAlice, kBob, "ban", {"MA"});
  dag_.AddPowerLevels("PB", kBob, {{kAlice, 100}, {kBob, 50}}, {"PA"});
  ExpectResolution({"MB", "PB"}, {"PA", "MA", "MB"});
}

// Alice makes the room private while zara re-joins: the join rules (a power
// event) come first. Zara's membership is conflicted (her first join against
// the new one) and the v10 rules allow no join under "private": neither
// survives, so zara is no longer a member.
TEST_F(StateResolutionTest, JoinRuleChangeBeatsConcurrentJoin) {
  dag_.Add("JR", kAlice, kJoinRulesType, "", {{"join_rule", "private"}}, {"START"});
  dag_.AddMember("ME", kZara, kZara, "join", {"START"});
  StateIds expected = dag_.StateWith("START", {"JR"});
  expected.erase(StateKey{kMemberType, kZara});
  EXPECT_EQ(Named(Resolve({"JR", "ME"})), Named(expected));
}

// Alice's last power levels (charlie back to 0) extend the branch where bob
// raised charlie; they win over the older branch.
TEST_F(StateResolutionTest, PowerLevelsRaceResolvesToTheLatestAllowedChange) {
  dag_.AddPowerLevels("PA", kAlice, {{kAlice, 100}, {kBob, 50}}, {"START"});
  dag_.AddPowerLevels("PB", kBob, {{kAlice, 100}, {kBob, 50}, {kCharlie, 50}}, {"PA"});
  dag_.AddPowerLevels("PC", kAlice, {{kAlice, 100}, {kBob, 50}, {kCharlie, 0}}, {"PB"});
  ExpectResolution({"PC", "PA"}, {"PC"});
}

// Bob's topic on the other branch relies on power levels that alice's PA2
// (bob at 0) supersedes: alice's topic T2 stays.
TEST_F(StateResolutionTest, TopicForkKeepsTheTopicAllowedByTheResolvedPowerLevels) {
  AddTopicFork();
  ExpectResolution({"PA2", "T3"}, {"PA2", "T2"});
}

// Bob, banned on one branch, set the topic there before the ban; the other
// branch still has T1: the ban holds and the topic falls back to T1.
TEST_F(StateResolutionTest, TopicResetsWhenItsSenderIsBanned) {
  dag_.AddTopic("T1", kAlice, {"START"});
  dag_.AddPowerLevels("PA", kAlice, {{kAlice, 100}, {kBob, 50}}, {"T1"});
  dag_.AddTopic("T2", kBob, {"PA"});
  dag_.AddMember("MB", kAlice, kBob, "ban", {"T2"});
  ExpectResolution({"MB", "T1"}, {"T1", "MB", "PA"});
}

// As the topic fork, with a merge in one branch and a later topic by alice.
TEST_F(StateResolutionTest, TopicAfterAMergeWins) {
  AddTopicFork();
  dag_.Add("MZ1", kZara, kMessageType, std::nullopt, {{"body", "merge"}}, {"PA2", "T3"});
  dag_.AddTopic("T4", kAlice, {"MZ1"});
  ExpectResolution({"T4", "MZ1"}, {"T4", "PA2"});
}

// Topics are ordered by the mainline of the resolved power levels: T3 is
// based on PA2 (later in the mainline) and beats T4, based on PA1.
TEST_F(StateResolutionTest, MainlineOrderingDecidesBetweenTopics) {
  dag_.AddTopic("T1", kAlice, {"START"});
  dag_.AddPowerLevels("PA1", kAlice, {{kAlice, 100}, {kBob, 50}}, {"T1"});
  dag_.AddTopic("T2", kAlice, {"PA1"});
  dag_.AddPowerLevels("PA2", kAlice, {{kAlice, 100}, {kBob, 50}}, {"T2"},
                      {{"events", {{kPowerLevelsType, 100}}}});
  dag_.AddPowerLevels("PB", kBob, {{kAlice, 100}, {kBob, 50}}, {"PA1"});
  dag_.AddTopic("T3", kBob, {"PA2"});
  dag_.AddTopic("T4", kAlice, {"PB"});
  ExpectResolution({"T3", "T4"}, {"T3", "PA2"});
}

// A user joins while, concurrently, a moderator bans them.
TEST_F(StateResolutionTest, BanBeatsConcurrentJoin) {
  constexpr char kDave[] = "@dave:example.com";
  dag_.AddMember("BAN", kAlice, kDave, "ban", {"START"});
  dag_.AddMember("JOIN", kDave, kDave, "join", {"START"});
  ExpectResolution({"JOIN", "BAN"}, {"BAN"});
}

TEST_F(StateResolutionTest, OneStateOrEqualStatesResolveToThemselves) {
  dag_.AddTopic("T1", kAlice, {"START"});
  EXPECT_EQ(Resolve({"T1"}), dag_.StateAfter("T1"));
  EXPECT_EQ(Resolve({"T1", "T1"}), dag_.StateAfter("T1"));
  EXPECT_TRUE(ResolveState({}, dag_.source())->empty());
}

TEST_F(StateResolutionTest, UnknownEventIsNotFound) {
  dag_.AddTopic("T1", kAlice, {"START"});
  StateIds other = dag_.StateAfter("START");
  other[StateKey{kTopicType, ""}] = "$unknownunknownunknownunknownunknownunknown1";
  const std::vector<StateIds> states = {dag_.StateAfter("T1"), other};
  EXPECT_EQ(ResolveState(states, dag_.source()).status().code(), absl::StatusCode::kNotFound);
}

// Randomized forks: topics, power level changes, bans, kicks and joins by
// several users on branches that split and merge. Whatever the order of the
// state sets, the resolution is the same.
TEST(StateResolutionPropertyTest, ResultDoesNotDependOnTheOrderOfTheStates) {
  const std::vector<std::string> users = {kAlice, kBob, kCharlie, kZara};
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937 rng(seed);
    DagBuilder dag;
    dag.AddInitialEvents();
    std::vector<std::string> names = {"START"};
    std::set<std::string> heads = {"START"};
    auto pick = [&](const auto& list) { return list[rng() % list.size()]; };
    for (int i = 0; i < 14; ++i) {
      const std::string name = "E" + std::to_string(i);
      std::vector<std::string> prevs = {pick(names)};
      if (rng() % 4 == 0) {
        const std::string other = pick(names);
        if (other != prevs[0]) prevs.push_back(other);
      }
      const std::string sender = pick(users);
      switch (rng() % 5) {
        case 0:
          dag.AddTopic(name, sender, prevs);
          break;
        case 1:
          dag.AddPowerLevels(name, sender,
                             {{kAlice, 100}, {pick(users), static_cast<int>(rng() % 3) * 50}},
                             prevs);
          break;
        case 2:
          dag.AddMember(name, sender, pick(users), rng() % 2 ? "ban" : "leave", prevs);
          break;
        case 3:
          dag.AddMember(name, sender, sender, "join", prevs);
          break;
        default:
          dag.Add(name, sender, kJoinRulesType, "",
                  {{"join_rule", rng() % 2 ? "public" : "invite"}}, prevs);
      }
      if (::testing::Test::HasFatalFailure()) return;
      names.push_back(name);
      for (const std::string& prev : prevs) heads.erase(prev);
      heads.insert(name);
    }
    std::vector<StateIds> states;
    for (const std::string& head : heads) states.push_back(dag.StateAfter(head));
    const auto expected = ResolveState(states, dag.source());
    ASSERT_TRUE(expected.ok()) << expected.status();
    for (int shuffle = 0; shuffle < 5; ++shuffle) {
      std::shuffle(states.begin(), states.end(), rng);
      const auto resolved = ResolveState(states, dag.source());
      ASSERT_TRUE(resolved.ok()) << resolved.status();
      EXPECT_EQ(*resolved, *expected);
    }
    // Adding a state that is already there changes nothing.
    states.push_back(states.front());
    EXPECT_EQ(*ResolveState(states, dag.source()), *expected);
  }
}

}  // namespace
}  // namespace messenger::matrix
