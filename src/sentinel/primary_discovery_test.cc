#include "sentinel/primary_discovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basalt::sentinel {
namespace {

DiscoveryAnswer Known(const std::string& host, int port, uint64_t epoch) {
  DiscoveryAnswer a;
  a.reachable = true;
  a.known = true;
  a.primary = {host, port};
  a.config_epoch = epoch;
  return a;
}

DiscoveryAnswer Unreachable() {
  DiscoveryAnswer a;
  a.error = "Connection refused";
  return a;
}

TEST(PrimaryDiscovery, ParsesSentinelLists) {
  auto l = ParseSentinelList("s-0.sentinel:26379, s-1.sentinel:26379 [::1]:26380");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0], HostPort("s-0.sentinel", 26379));
  EXPECT_EQ((*l)[2], HostPort("::1", 26380));
  EXPECT_FALSE(ParseSentinelList("").ok());
  EXPECT_FALSE(ParseSentinelList("host").ok());
  EXPECT_FALSE(ParseSentinelList("host:0").ok());
  EXPECT_FALSE(ParseSentinelList("host:70000").ok());
  EXPECT_FALSE(ParseSentinelList(":26379").ok());
}

TEST(PrimaryDiscovery, NoAnswerAndUnknownMaster) {
  EXPECT_EQ(ChooseAnswer({Unreachable(), Unreachable()}).kind, DiscoveryResult::Kind::kNoAnswer);
  DiscoveryAnswer none;
  none.reachable = true;
  EXPECT_EQ(ChooseAnswer({Unreachable(), none}).kind, DiscoveryResult::Kind::kUnknownMaster);
}

TEST(PrimaryDiscovery, HighestEpochThenMostVotes) {
  auto r = ChooseAnswer({Known("a", 1, 1), Known("a", 1, 1), Known("b", 2, 2), Unreachable()});
  ASSERT_EQ(r.kind, DiscoveryResult::Kind::kPrimary);
  EXPECT_EQ(r.primary, HostPort("b", 2));
  EXPECT_EQ(r.config_epoch, 2u);
  EXPECT_EQ(r.agreeing, 1);
  r = ChooseAnswer({Known("a", 1, 4), Known("b", 2, 4), Known("b", 2, 4)});
  EXPECT_EQ(r.primary, HostPort("b", 2));
  EXPECT_EQ(r.agreeing, 2);
  // A tie goes to the sentinel listed first.
  r = ChooseAnswer({Known("c", 3, 4), Known("b", 2, 4)});
  EXPECT_EQ(r.primary, HostPort("c", 3));
}

TEST(PrimaryDiscovery, RecognisesThisNode) {
  EXPECT_TRUE(IsThisNode({"127.0.0.1", 6379}, 6379, ""));
  EXPECT_TRUE(IsThisNode({"localhost", 6379}, 6379, ""));
  EXPECT_FALSE(IsThisNode({"127.0.0.1", 6380}, 6379, ""));
  EXPECT_TRUE(IsThisNode({"node-0.example", 6379}, 6379, "node-0.example"));
  // TEST-NET-1 (RFC 5737) is never an address of this machine.
  EXPECT_FALSE(IsThisNode({"192.0.2.1", 6379}, 6379, ""));
}

}  // namespace
}  // namespace basalt::sentinel
