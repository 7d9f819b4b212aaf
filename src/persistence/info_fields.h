// InfoFields: the values of INFO's persistence section, filled in by the
// three persistence jobs, each its own part: DatasetLoader (loading_*),
// SaveJobs (rdb_*, the rewrite's progress and history, copy-on-write sizes)
// and AofWriter (aof_enabled, the write status, sizes and buffer).
//
// Thread-safety: a plain value, owned by whoever builds it.
#pragma once

#include <cstdint>

namespace basalt::persistence {

struct InfoFields {
  // DatasetLoader.
  bool loading = false;
  bool async_loading = false;  // a swapdb full sync loads beside the served dataset
  int64_t loading_start_time = 0;
  uint64_t loading_total_bytes = 0, loading_loaded_bytes = 0;
  double loading_loaded_perc = 0;
  int64_t loading_eta_seconds = 0;
  int64_t loading_elapsed_seconds = 0;
  // SaveJobs.
  bool rdb_bgsave_in_progress = false;
  int64_t rdb_last_save_time = 0;
  bool rdb_last_bgsave_ok = true;
  int64_t rdb_last_bgsave_time_sec = -1;
  int64_t rdb_current_bgsave_time_sec = -1;
  uint64_t rdb_saves = 0;
  uint64_t rdb_last_cow_size = 0;
  uint64_t current_cow_size = 0;
  uint64_t current_save_keys_processed = 0;
  bool aof_rewrite_in_progress = false;
  bool aof_rewrite_scheduled = false;
  int64_t aof_last_rewrite_time_sec = -1;
  int64_t aof_current_rewrite_time_sec = -1;
  bool aof_last_bgrewrite_ok = true;
  uint64_t aof_rewrites = 0;
  uint64_t aof_last_cow_size = 0;
  // AofWriter.
  bool aof_enabled = false;
  bool aof_last_write_ok = true;
  uint64_t aof_current_size = 0, aof_base_size = 0;
  uint64_t aof_buffer_length = 0;
  uint64_t aof_pending_bio_fsync = 0;
  uint64_t aof_delayed_fsync = 0;
};

}  // namespace basalt::persistence
