// In-process command tests: a Host with a real keyspace, configuration, write
// log and command table, and no server around it (no sockets, no threads), so
// a family's edge cases run through the real executor in microseconds:
//
//   TEST_F(CommandTest, SetNx) {
//     EXPECT_TRUE(IsInt(Run({"SETNX", "k", "v"}), 1));
//     EXPECT_TRUE(IsError(Run({"SETNX", "k"}), "ERR wrong number"));
//   }
//
// Admin commands (CLIENT, REPLICAOF, SAVE, INFO, ...) need the server: they
// are tested by the integration suites; here admin() aborts.
//
// Thread-safety: single-threaded tests only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_stats.h"
#include "commands/command_table.h"
#include "commands/executor.h"
#include "scripting/runtime.h"
#include "commands/host.h"
#include "commands/session.h"
#include "commands/slowlog.h"
#include "commands/watch_registry.h"
#include "config/config.h"
#include "protocol/reply_builder.h"
#include "protocol/reply_reader.h"
#include "replication/write_log.h"
#include "storage/keyspace.h"

namespace basalt::commands {

class TestHost final : public Host {
 public:
  TestHost()
      : config_(config::Config::LoadFromString("").value()),
        keyspace_(int(config_->databases()), 16) {
    RegisterAllFamilies(commands_);
    executor_.InitAcl();
    stats_ = std::make_unique<ThreadStats>(commands_.by_id().size() + 1);
    SetThreadStats(stats_.get());
  }
  ~TestHost() override { SetThreadStats(nullptr); }

  storage::Keyspace& keyspace() override { return keyspace_; }
  config::Config& config() override { return *config_; }
  replication::WriteLog& write_log() override { return log_; }
  const CommandTable& commands() const override { return commands_; }
  Executor& executor() override { return executor_; }
  scripting::Runtime& scripts() override { return scripts_; }
  WatchRegistry& watches() override { return watches_; }
  SlowLog& slowlog() override { return slowlog_; }
  std::mutex& registry_mu() override { return registry_mu_; }
  void AddDirty(int64_t n) override { dirty += n; }
  void OnKeyChanged(int db, std::string_view key, std::string_view, uint32_t) override {
    watches_.Touch(db, key);
  }
  void WakeBlockedInDb(int) override {}
  void Notify(int, std::string_view, std::string_view, uint32_t) override {}
  void CountError(std::string_view) override { errors++; }
  bool loading() const override { return false; }
  std::string PersistenceWriteRefusal() const override { return ""; }
  std::string ReplicasWriteRefusal() const override { return ""; }
  bool is_replica() const override { return false; }
  bool primary_link_up() const override { return false; }
  bool EvictIfNeeded() override { return true; }
  Admin& admin() override {
    fprintf(stderr, "TestHost: admin commands need the server (integration tests)\n");
    abort();
  }

  int64_t dirty = 0;
  int64_t errors = 0;

 private:
  std::unique_ptr<config::Config> config_;
  storage::Keyspace keyspace_;
  replication::WriteLog log_;
  CommandTable commands_;
  scripting::Runtime scripts_;
  Executor executor_{*this, *config_, log_, commands_, scripts_};
  WatchRegistry watches_;
  SlowLog slowlog_;
  std::mutex registry_mu_;
  std::unique_ptr<ThreadStats> stats_;
};

class CommandTest : public ::testing::Test {
 protected:
  // Runs one command for `session` (the fixture's own by default) through
  // the executor and parses its reply.
  protocol::Reply Run(std::initializer_list<std::string_view> args) { return Run(session_, args); }
  protocol::Reply Run(Session& s, std::initializer_list<std::string_view> args) {
    return Run(s, std::span<const std::string_view>(args.begin(), args.size()));
  }
  // For arguments built at run time.
  protocol::Reply Run(Session& s, std::span<const std::string_view> v) {
    std::string out;
    protocol::ReplyBuilder rb(&out, 2);
    host_.executor().Dispatch(s, v, rb);
    protocol::ReplyReader reader;
    reader.Feed(out);
    protocol::Reply r;
    EXPECT_EQ(reader.Next(&r), protocol::ReplyReader::Result::kReply) << "no reply to " << v[0];
    EXPECT_EQ(reader.buffered(), 0u) << "more than one reply to " << v[0];
    return r;
  }
  // The write log's bytes so far (what replicas and the AOF receive).
  std::string Log() {
    std::string out;
    // ReadFrom counts from 0; backlog_first_offset() is INFO's, counting from 1.
    const replication::WriteLog& log = host_.write_log();
    log.ReadFrom(log.offset() - int64_t(log.backlog_histlen()), &out);
    return out;
  }

  // The commands in the write log, each as its arguments joined by spaces,
  // with the SELECTs left out: {"SREM s a", "PEXPIREAT k 1700000000000"}.
  std::vector<std::string> LogCommands() {
    protocol::ReplyReader reader;
    reader.Feed(Log());
    std::vector<std::string> out;
    protocol::Reply r;
    while (reader.Next(&r) == protocol::ReplyReader::Result::kReply) {
      std::string line;
      for (const auto& e : r.elements) line += (line.empty() ? "" : " ") + e.str;
      if (!line.starts_with("SELECT ")) out.push_back(line);
    }
    return out;
  }

  static ::testing::AssertionResult IsInt(const protocol::Reply& r, int64_t n) {
    if (r.type == protocol::Reply::Type::kInteger && r.integer == n) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected :" << n << ", got " << Show(r);
  }
  static ::testing::AssertionResult IsStatus(const protocol::Reply& r, std::string_view s) {
    if (r.type == protocol::Reply::Type::kStatus && r.str == s) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected +" << s << ", got " << Show(r);
  }
  static ::testing::AssertionResult IsBulk(const protocol::Reply& r, std::string_view s) {
    if (r.type == protocol::Reply::Type::kBulk && r.str == s) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected $" << s << ", got " << Show(r);
  }
  static ::testing::AssertionResult IsNil(const protocol::Reply& r) {
    if (r.type == protocol::Reply::Type::kNil) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected nil, got " << Show(r);
  }
  // An array of bulk strings equal to `want`, in order.
  static ::testing::AssertionResult IsArray(const protocol::Reply& r,
                                            std::initializer_list<std::string_view> want) {
    return ArrayMatches(r, std::vector<std::string>(want.begin(), want.end()), false);
  }
  // An array of bulk strings holding the elements of `want` in any order
  // (SMEMBERS, HGETALL, ...); duplicates count.
  static ::testing::AssertionResult IsUnorderedArray(const protocol::Reply& r,
                                                     std::initializer_list<std::string_view> want) {
    return ArrayMatches(r, std::vector<std::string>(want.begin(), want.end()), true);
  }
  static ::testing::AssertionResult ArrayMatches(const protocol::Reply& r,
                                                 std::vector<std::string> want, bool unordered) {
    std::vector<std::string> got;
    bool ok = r.type == protocol::Reply::Type::kArray;
    for (const auto& e : r.elements) {
      ok = ok && e.type == protocol::Reply::Type::kBulk;
      got.push_back(e.str);
    }
    if (unordered) {
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
    }
    if (ok && got == want) return ::testing::AssertionSuccess();
    std::string w = "[";
    for (const auto& s : want) w += "$" + s + " ";
    return ::testing::AssertionFailure() << "expected " << w << "], got " << Show(r);
  }
  // An error reply whose text starts with `prefix`.
  static ::testing::AssertionResult IsError(const protocol::Reply& r, std::string_view prefix) {
    if (r.is_error() && std::string_view(r.str).starts_with(prefix)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected -" << prefix << "..., got " << Show(r);
  }
  static std::string Show(const protocol::Reply& r) {
    switch (r.type) {
      case protocol::Reply::Type::kStatus:
        return "+" + r.str;
      case protocol::Reply::Type::kError:
        return "-" + r.str;
      case protocol::Reply::Type::kInteger:
        return ":" + std::to_string(r.integer);
      case protocol::Reply::Type::kBulk:
        return "$" + r.str;
      case protocol::Reply::Type::kNil:
        return "(nil)";
      case protocol::Reply::Type::kArray: {
        std::string s = "[";
        for (const auto& e : r.elements) s += Show(e) + " ";
        return s + "]";
      }
    }
    return "?";
  }

  TestHost host_;
  DetachedSession session_{1, Origin::kClient};
};

}  // namespace basalt::commands
