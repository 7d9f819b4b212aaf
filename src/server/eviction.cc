// Eviction under maxmemory: approximated LRU / LFU / TTL / random, as Redis
// does, by sampling. Each round locks one shard, samples maxmemory-samples
// entries (all keys, or only those with an expire for volatile-* policies),
// evicts the best candidate and records a DEL in the write log so replicas
// and the AOF evict the same key. Rounds go on until used memory is under the
// limit or the time budget of maxmemory-eviction-tenacity runs out.
#include <atomic>
#include <random>

#include "commands/command_context.h"
#include "common/clock.h"
#include "common/latency_monitor.h"
#include "common/logging.h"
#include "common/memory.h"
#include "config/config.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using storage::Entry;

// Higher is a better eviction candidate.
uint64_t Score(const Entry* e, MaxmemoryPolicy p, uint64_t rnd) {
  switch (p) {
    case MaxmemoryPolicy::kAllkeysLru:
    case MaxmemoryPolicy::kVolatileLru:
      return storage::IdleSeconds(e->lru());
    case MaxmemoryPolicy::kAllkeysLfu:
    case MaxmemoryPolicy::kVolatileLfu:
      return 255 - storage::LfuDecayedCounter(e->lru());
    case MaxmemoryPolicy::kVolatileTtl:
      // Sooner expiry first.
      return UINT64_MAX - uint64_t(e->expire_ms());
    default:
      return rnd;
  }
}

bool VolatileOnly(MaxmemoryPolicy p) {
  return p == MaxmemoryPolicy::kVolatileLru || p == MaxmemoryPolicy::kVolatileLfu ||
         p == MaxmemoryPolicy::kVolatileRandom || p == MaxmemoryPolicy::kVolatileTtl;
}

}  // namespace

void Server::ApplyEvictionConfig() {
  MaxmemoryPolicy p = config_->maxmemory_policy();
  bool lfu = p == MaxmemoryPolicy::kAllkeysLfu || p == MaxmemoryPolicy::kVolatileLfu;
  storage::SetLfuMode(lfu, config_->lfu_log_factor(), config_->lfu_decay_time());
}

bool Server::EvictIfNeeded() {
  int64_t maxmem = config_->maxmemory();
  if (maxmem <= 0) return true;
  size_t used = UsedMemory();
  if (used <= size_t(maxmem)) {
    NoteEvictionExceeded(false);
    return true;
  }
  MaxmemoryPolicy policy = config_->maxmemory_policy();
  if (policy == MaxmemoryPolicy::kNoEviction) return false;
  bool volatile_only = VolatileOnly(policy);
  int samples = int(std::max<int64_t>(1, config_->maxmemory_samples()));
  bool lazy = config_->lazyfree_lazy_eviction();
  // Tenacity 10 allows about 500 us per call, growing with the setting.
  int64_t tenacity = config_->maxmemory_eviction_tenacity();
  int64_t budget_us = tenacity >= 100 ? INT64_MAX : 50 * tenacity + 1;
  int64_t start = MonotonicUs();
  const int64_t latency_threshold = config_->latency_monitor_threshold();
  thread_local std::mt19937_64 rng(std::random_device{}());
  size_t to_free = used - size_t(maxmem);
  size_t freed = 0;
  // A round that finds no candidate (a shard busy on another thread, a
  // sample that came back empty) is retried until the time budget is spent:
  // a transient miss must not turn into -OOM while keys remain. The cap on
  // idle rounds bounds a caller that itself holds every shard (EXEC).
  int idle_rounds = 0;
  auto give_up = [&] {
    ++idle_rounds;
    return idle_rounds > 4096 || (idle_rounds > 16 && MonotonicUs() - start > budget_us);
  };
  while (freed < to_free) {
    // A random non-empty shard of a random non-empty database.
    int ndb = keyspace_->db_count();
    storage::Shard* shard = nullptr;
    for (int tries = 0; tries < 64 && shard == nullptr; tries++) {
      storage::Database& db = keyspace_->db(int(rng() % uint64_t(ndb)));
      size_t have = volatile_only ? db.ApproxExpires() : db.ApproxSize();
      if (have == 0) continue;
      storage::Shard& s = db.shard(uint32_t(rng() % db.shard_count()));
      if ((volatile_only ? s.approx_expires() : s.approx_size()) > 0) shard = &s;
    }
    if (shard == nullptr) {
      // Fall back to a full sweep for the first shard with candidates.
      for (int d = 0; d < ndb && shard == nullptr; d++) {
        storage::Database& db = keyspace_->db(d);
        for (uint32_t i = 0; i < db.shard_count() && shard == nullptr; i++) {
          storage::Shard& s = db.shard(i);
          if ((volatile_only ? s.approx_expires() : s.approx_size()) > 0) shard = &s;
        }
      }
    }
    if (shard == nullptr) return false;  // nothing left to evict
    {
      // A shard someone holds (a running script, a long EXEC) is skipped:
      // eviction never waits, and never runs into a lock of its own thread.
      std::unique_lock<std::mutex> lock(shard->mu, std::try_to_lock);
      if (!lock.owns_lock()) {
        if (give_up()) break;
        continue;
      }
      Entry* best = nullptr;
      uint64_t best_score = 0;
      for (int i = 0; i < samples; i++) {
        Entry* e = shard->RandomEntry(volatile_only);
        if (e == nullptr) break;
        uint64_t sc = Score(e, policy, rng());
        if (best == nullptr || sc > best_score) {
          best = e;
          best_score = sc;
        }
      }
      if (best == nullptr) {
        if (give_up()) break;
        continue;
      }
      std::string key(best->key());
      size_t bytes = best->MemoryUsage();
      std::string_view args[2] = {lazy ? "UNLINK" : "DEL", key};
      write_log_.Append(shard->db(), args);
      TouchWatched(shard->db(), key);
      tracking_.KeyChanged(key);
      Notify(shard->db(), key, "evicted", commands::kNotifyEvicted);
      blocking_.SignalAll(shard->db(), key);  // an evicted stream ends XREADGROUP waits
      // Redis's "eviction-del": the time to delete one evicted key.
      int64_t del_start = latency_threshold > 0 ? MonotonicUs() : 0;
      Entry** link = shard->table().FindLink(key, HashKey(key));
      if (link != nullptr) shard->Delete(link, lazy);
      if (latency_threshold > 0) {
        RecordLatency("eviction-del", (MonotonicUs() - del_start) / 1000, latency_threshold);
      }
      freed += bytes;
      NoteMemoryFreed(bytes);
      ThreadStats& st = CurrentStats();
      if (&st == other_stats_.get()) {
        st.evicted.fetch_add(1, std::memory_order_relaxed);
      } else {
        Bump(st.evicted);
      }
    }
    if (MonotonicUs() - start > budget_us) break;
  }
  // Redis's "eviction-cycle": one call's whole eviction work.
  RecordLatency("eviction-cycle", (MonotonicUs() - start) / 1000, latency_threshold);
  // Out of time but made progress: let the command run, as Redis does, and
  // finish on the next call or in cron.
  bool under = UsedMemory() <= size_t(maxmem);
  NoteEvictionExceeded(!under);
  return freed > 0 || under;
}

void Server::NoteEvictionExceeded(bool over) {
  int64_t since = eviction_over_since_ms_.load(std::memory_order_relaxed);
  if (over) {
    if (since == 0) {
      int64_t zero = 0;
      eviction_over_since_ms_.compare_exchange_strong(zero, NowMs());
    }
  } else if (since != 0 && eviction_over_since_ms_.compare_exchange_strong(since, 0)) {
    eviction_over_total_ms_.fetch_add(NowMs() - since, std::memory_order_relaxed);
  }
}

int64_t Server::eviction_exceeded_ms(bool total) const {
  int64_t since = eviction_over_since_ms_.load(std::memory_order_relaxed);
  int64_t current = since == 0 ? 0 : std::max<int64_t>(0, NowMs() - since);
  return total ? eviction_over_total_ms_.load(std::memory_order_relaxed) + current : current;
}

}  // namespace basalt::server
