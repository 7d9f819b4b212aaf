#include "replication/failover.h"

#include <gtest/gtest.h>

#include <memory>

#include "config/config.h"
#include "replication/ack_tracker.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "replication/server_hooks.h"
#include "replication/write_log.h"

namespace basalt::replication {
namespace {

// A server with no workers and no persistence: enough for the checks FAILOVER
// makes before it pauses anything. Records the pause it is asked for.
class FakeHooks final : public ServerHooks {
 public:
  FakeHooks() : config_(std::move(config::Config::LoadFromString("").value())) {}
  config::Config& config() override { return *config_; }
  WriteLog& write_log() override { return log_; }
  size_t worker_count() const override { return 0; }
  WorkerThread& worker(size_t) override { std::abort(); }
  int listening_port() const override { return 6379; }
  void UpdateExpiryEnabled() override {}
  Connection* AttachPrimaryClient(WorkerThread&, int, uint64_t, int, std::string,
                                  std::string) override {
    return nullptr;
  }
  bool snapshot_running() override { return false; }
  Status StartFullSyncSnapshot(std::function<void(int64_t)>, std::shared_ptr<FullSyncSink>,
                               std::function<void(Status)>) override {
    return Status::Error("no snapshots here");
  }
  Status LoadFromPrimary(int, uint64_t, uint64_t, int, std::function<void(uint64_t)>,
                         LoadedSnapshot*) override {
    return Status::Error("no loading here");
  }
  StatusOr<std::string> BgRewriteAof() override { return Status::Error("no AOF here"); }
  void SetFailoverPause(bool on) override {
    paused = on;
    pause_calls++;
  }
  void ReplicaStreamStarted() override {}
  void WaitPersisted(int64_t) override {}

  bool paused = false;
  int pause_calls = 0;

 private:
  std::unique_ptr<config::Config> config_;
  WriteLog log_;
};

class FailoverTest : public ::testing::Test {
 protected:
  FakeHooks hooks_;
  ReplicaRegistry replicas_;
  Role role_{hooks_, replicas_};
  AckTracker acks_{hooks_, role_, replicas_};
  Failover failover_{hooks_, role_, replicas_, acks_};
};

TEST_F(FailoverTest, IdleState) {
  EXPECT_EQ(failover_.state(), Failover::State::kNone);
  EXPECT_FALSE(failover_.active());
  EXPECT_STREQ(failover_.state_name(), "no-failover");
  failover_.Cron();  // nothing to advance
  EXPECT_EQ(hooks_.pause_calls, 0);
}

TEST_F(FailoverTest, AbortWithoutFailover) {
  FailoverRequest req;
  req.abort = true;
  Status st = failover_.Handle(req);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "ERR No failover in progress.");
}

TEST_F(FailoverTest, PrimaryWithoutReplicas) {
  FailoverRequest req;
  EXPECT_EQ(failover_.Handle(req).message(), "ERR FAILOVER requires connected replicas.");
  // Checked before FORCE's requirements and before the target, as Redis does.
  req.force = true;
  EXPECT_EQ(failover_.Handle(req).message(), "ERR FAILOVER requires connected replicas.");
  req.has_target = true;
  req.host = "127.0.0.1";
  req.port = 6380;
  req.timeout_ms = 100;
  EXPECT_EQ(failover_.Handle(req).message(), "ERR FAILOVER requires connected replicas.");
  EXPECT_EQ(hooks_.pause_calls, 0);
  EXPECT_FALSE(failover_.active());
}

TEST_F(FailoverTest, PsyncFailoverRefusedByAPrimary) {
  Status st = failover_.AcceptPsync(role_.replid(), "id=1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "ERR PSYNC FAILOVER can't be sent to a master.");
  EXPECT_FALSE(role_.is_replica());
}

}  // namespace
}  // namespace basalt::replication
