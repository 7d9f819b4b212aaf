// Runtime: the process's scripting state — the EVAL engine, the FUNCTION
// engine, the script gate that lets one script run at a time, and what other
// threads may ask of the running script (is it past the busy threshold, kill
// it).
//
// Scripts run one at a time, as in Redis: the gate is a mutex a thread takes
// before running a script (or changing the script cache or the function
// libraries) and before taking any shard lock for it. While a script runs,
// commands on other threads keep running on shards the script does not hold;
// once it has run longer than busy-reply-threshold, clients get -BUSY
// (the executor's admission), and SCRIPT KILL / FUNCTION KILL can stop it if
// it has not written.
//
// Thread-safety: the engines are used only by the thread inside the gate.
// running(), busy(), RequestKill() and the counters are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>

#include <string>
#include <vector>

#include "scripting/function_library.h"
#include "scripting/lua_engine.h"

namespace basalt::scripting {

class Runtime {
 public:
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // REQUIRES: inside the gate.
  LuaEngine& eval() { return eval_; }
  LuaEngine& functions() { return functions_; }
  FunctionLibraries& libraries() { return libraries_; }
  // Any thread: the library codes (snapshots).
  std::vector<std::string> LibraryCodes() const { return libraries_.Codes(); }

  // --- The gate (recursive on one thread: EXEC takes it before its shard
  // locks, and the EVAL it contains enters again). ---
  void Enter();
  // Enters unless a script on another thread is past its busy threshold;
  // returns false then (the caller answers -BUSY). Waits otherwise.
  bool EnterUnlessBusy();
  void Leave();

  // --- The running script (called by the thread inside the gate) ---
  void BeginRun(bool function, int64_t threshold_ms);
  void EndRun();
  // The running script wrote: SCRIPT KILL can no longer stop it.
  void MarkWrote() { wrote_.store(true, std::memory_order_relaxed); }
  bool wrote() const { return wrote_.load(std::memory_order_relaxed); }
  // The error text that must stop the running script now, or nullptr.
  const char* PollStop();

  // --- Any thread ---
  bool running() const { return run_start_ms_.load(std::memory_order_relaxed) != 0; }
  // A script has run longer than its busy threshold.
  bool busy() const;
  bool running_function() const { return function_.load(std::memory_order_relaxed); }
  enum class KillResult { kNotBusy, kUnkillable, kKilled, kWrongKind };
  // SCRIPT KILL (function=false) or FUNCTION KILL (function=true).
  KillResult RequestKill(bool function);
  // Shutdown: stop whatever runs, written or not.
  void RequestAbort() { abort_.store(true); }
  bool aborting() const { return abort_.load(std::memory_order_relaxed); }

  // Counters for INFO (updated inside the gate, read anywhere).
  std::atomic<size_t> eval_memory{0}, functions_memory{0}, scripts_bytes{0}, scripts_count{0};
  std::atomic<size_t> functions_count{0}, libraries_count{0}, functions_bytes{0};

  // FUNCTION STATS: the running function's name and command (any thread).
  // `command` must stay valid until EndRun (it is the caller's arguments).
  void SetRunningCommand(std::string_view name, std::span<const std::string_view> command);
  bool RunningCommand(std::string* name, std::vector<std::string>* command, int64_t* ms) const;
  void RefreshCounters();

 private:
  LuaEngine eval_;
  LuaEngine functions_;
  FunctionLibraries libraries_{functions_};
  std::recursive_mutex gate_;

  std::atomic<int64_t> run_start_ms_{0};
  std::atomic<int64_t> threshold_ms_{0};
  std::atomic<bool> function_{false};
  std::atomic<bool> wrote_{false};
  std::atomic<bool> kill_{false};
  std::atomic<bool> abort_{false};
  mutable std::mutex running_mu_;
  std::string_view running_name_;                  // guarded by running_mu_
  std::span<const std::string_view> running_command_;  // guarded by running_mu_
};

// The process's runtime, for storage's lock-wait probe (set by its owner).
void SetBusyRuntime(Runtime* r);

}  // namespace basalt::scripting
