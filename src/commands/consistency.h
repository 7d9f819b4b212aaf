// ConsistencyStore: this node's side of the online consistency check
// (docs/consistency.md): the digest passes it ran, by check id, and the last
// outcome an operator's comparison recorded (INFO consistency, /metrics).
//
// A pass is a digest-only point-in-time snapshot (persistence::RangeDigest
// fed by persistence::SaveJobs::StartDigest). On the primary it starts at
// the instant the `CONSISTENCY MARK <id> ...` marker enters the replication
// stream; on a Basalt replica it starts when that marker is applied, so both
// digest the dataset of the same log offset.
//
// Thread-safety: all methods may be called from any thread (mu_); a pass's
// fields are written under mu_ and copied out under it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "persistence/range_digest.h"

namespace basalt::commands {

struct DigestPass {
  enum class State { kRunning, kDone, kFailed };
  std::string id;
  State state = State::kRunning;
  std::string error;
  int64_t offset = -1;      // log offset of the instant (before the marker)
  int64_t started_ms = 0;   // wall clock
  int64_t duration_ms = 0;  // start to the end of the walk
  int64_t instant_us = 0;   // writes held: locking every shard + the instant
  uint32_t range_count = 0;
  std::vector<uint32_t> detail_ranges;
  std::shared_ptr<persistence::RangeDigest> digest;  // set when done
  std::vector<persistence::RangeDigest::KeyDigest> detail;
  bool detail_truncated = false;
};

// What the last comparison found (recorded by CONSISTENCY REPORT).
struct CheckOutcome {
  std::string id;
  int64_t time_ms = 0;
  int64_t offset = -1;
  int64_t replicas_checked = 0;
  int64_t replicas_skipped = 0;
  int64_t differing_ranges = 0;
  int64_t differing_keys = 0;
  bool ok = false;
};

class ConsistencyStore {
 public:
  static constexpr size_t kKeptPasses = 16;

  // A fresh check id (primary): "<unix ms>-<sequence>".
  std::string NextId();
  // Registers a running pass (the oldest kept one is forgotten).
  std::shared_ptr<DigestPass> Begin(const std::string& id, uint32_t range_count,
                                    std::vector<uint32_t> detail_ranges);
  void SetInstant(const std::shared_ptr<DigestPass>& pass, int64_t offset, int64_t instant_us);
  // The walk ended: the digest (on success) or the error.
  void Finish(const std::shared_ptr<DigestPass>& pass,
              std::shared_ptr<persistence::RangeDigest> digest, const std::string& error);
  // A copy of the pass (null if unknown or forgotten).
  std::shared_ptr<const DigestPass> Get(const std::string& id) const;

  void Record(const CheckOutcome& outcome);
  // The last recorded outcome and the number of checks recorded; false when none.
  bool LastOutcome(CheckOutcome* out, int64_t* checks, int64_t* last_success_ms) const;
  // INFO consistency's fields, "name:value\r\n" each.
  std::string InfoFields() const;

  // --- Repair (CONSISTENCY RESYNC) ---
  // Set once by the server: closes the link of the replica announced as
  // "ip:listening-port"; false when there is none.
  void SetDisconnector(std::function<bool(const std::string& addr)> fn);
  // The replica at addr takes a full sync at its next PSYNC, and its link is
  // closed now so that it reconnects. False (nothing remembered) when no
  // such replica is attached.
  bool ForceFullSync(const std::string& addr);
  // At a PSYNC from addr: whether it must take a full sync (forgets it).
  bool TakeForcedFullSync(const std::string& addr);

 private:
  mutable std::mutex mu_;
  uint64_t seq_ = 0;                                    // Guarded by mu_.
  std::deque<std::shared_ptr<DigestPass>> passes_;      // Guarded by mu_.
  uint64_t passes_started_ = 0;                         // Guarded by mu_.
  uint64_t passes_failed_ = 0;                          // Guarded by mu_.
  bool have_outcome_ = false;                           // Guarded by mu_.
  CheckOutcome outcome_;                                // Guarded by mu_.
  int64_t checks_ = 0;                                  // Guarded by mu_.
  int64_t last_success_ms_ = 0;                         // Guarded by mu_.
  std::set<std::string> forced_full_;                   // Guarded by mu_.
  std::function<bool(const std::string&)> disconnect_;  // set before serving
};

}  // namespace basalt::commands
