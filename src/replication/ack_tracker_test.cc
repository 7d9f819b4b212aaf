#include "replication/ack_tracker.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "config/config.h"

namespace basalt::replication {

using config::Config;

namespace {

TEST(AckTrackerTest, CountAckedAtLeast) {
  std::vector<int64_t> acks = {100, 250, 250, 40};
  EXPECT_EQ(CountAckedAtLeast(acks, 0), 4);
  EXPECT_EQ(CountAckedAtLeast(acks, 40), 4);
  EXPECT_EQ(CountAckedAtLeast(acks, 41), 3);
  EXPECT_EQ(CountAckedAtLeast(acks, 250), 2);
  EXPECT_EQ(CountAckedAtLeast(acks, 251), 0);
  EXPECT_EQ(CountAckedAtLeast({}, 0), 0);
}

TEST(AckTrackerTest, GoodReplicaLagInWholeSeconds) {
  // Redis: lag = now - last ack, in seconds; good while lag <= max-lag.
  EXPECT_TRUE(IsGoodReplica(10'000, 10'000, 0));
  EXPECT_TRUE(IsGoodReplica(10'000, 10'999, 0));
  EXPECT_FALSE(IsGoodReplica(10'000, 11'000, 0));
  EXPECT_TRUE(IsGoodReplica(10'000, 20'999, 10));
  EXPECT_FALSE(IsGoodReplica(10'000, 21'000, 10));
}

TEST(AckTrackerTest, TimeoutErrorNamesWhatWasMissing) {
  EXPECT_EQ(SyncTimeoutError(2, 1500),
            "NOREPLICAS Write applied locally but not acknowledged by 2 replica(s) within "
            "1500 ms; it may be lost on failover");
}

Config::ObufLimit Limit(const Config& c, Config::ObufClass cls) {
  return c.client_output_buffer_limit(cls);
}

TEST(AckTrackerTest, Directives) {
  auto c = Config::LoadFromString(
      "min-replicas-to-write 2\n"
      "min-slaves-max-lag 7\n"
      "min-replicas-ack 1\n"
      "min-replicas-ack-timeout 250\n"
      "client-output-buffer-limit replica 1mb 512kb 5\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Config& cfg = **c;
  EXPECT_EQ(cfg.min_replicas_to_write(), 2);
  EXPECT_EQ(cfg.min_replicas_max_lag(), 7);
  EXPECT_EQ(cfg.min_replicas_ack(), 1);
  EXPECT_EQ(cfg.min_replicas_ack_timeout(), 250);
  Config::ObufLimit r = Limit(cfg, Config::ObufClass::kReplica);
  EXPECT_EQ(r.hard, 1 << 20);
  EXPECT_EQ(r.soft, 512 << 10);
  EXPECT_EQ(r.soft_seconds, 5);
  // The classes not named keep their defaults.
  Config::ObufLimit p = Limit(cfg, Config::ObufClass::kPubsub);
  EXPECT_EQ(p.hard, 32 << 20);
  EXPECT_EQ(p.soft, 8 << 20);
  EXPECT_EQ(p.soft_seconds, 60);
  std::string_view get[] = {"client-output-buffer-limit"};
  auto v = cfg.Get(get);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].second, "normal 0 0 0 slave 1048576 524288 5 pubsub 33554432 8388608 60");
}

TEST(AckTrackerTest, DirectiveDefaultsAndSet) {
  auto c = Config::LoadFromString("");
  ASSERT_TRUE(c.ok());
  Config& cfg = **c;
  EXPECT_EQ(cfg.min_replicas_to_write(), 0);
  EXPECT_EQ(cfg.min_replicas_max_lag(), 10);
  EXPECT_EQ(cfg.min_replicas_ack(), 0);
  EXPECT_EQ(cfg.min_replicas_ack_timeout(), 1000);
  Config::ObufLimit r = Limit(cfg, Config::ObufClass::kReplica);
  EXPECT_EQ(r.hard, 256 << 20);
  EXPECT_EQ(r.soft, 64 << 20);
  EXPECT_EQ(r.soft_seconds, 60);

  std::string_view set[] = {"min-replicas-ack",           "2",
                            "min-replicas-ack-timeout",   "30",
                            "client-output-buffer-limit", "slave 10mb 0 0"};
  ASSERT_TRUE(cfg.Set(set).ok());
  EXPECT_EQ(cfg.min_replicas_ack(), 2);
  EXPECT_EQ(cfg.min_replicas_ack_timeout(), 30);
  r = Limit(cfg, Config::ObufClass::kReplica);
  EXPECT_EQ(r.hard, 10 << 20);
  EXPECT_EQ(r.soft, 0);

  std::string_view bad_timeout[] = {"min-replicas-ack-timeout", "0"};
  EXPECT_FALSE(cfg.Set(bad_timeout).ok());
  std::string_view bad_ack[] = {"min-replicas-ack", "-1"};
  EXPECT_FALSE(cfg.Set(bad_ack).ok());
  // Normal clients have no output limit in Basalt: only Redis's default is taken.
  std::string_view normal[] = {"client-output-buffer-limit", "normal 1mb 1mb 10"};
  Status st = cfg.Set(normal);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not supported by Basalt yet"), std::string::npos);
}

}  // namespace
}  // namespace basalt::replication
