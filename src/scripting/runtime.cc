#include "scripting/runtime.h"

#include <chrono>

#include "common/clock.h"
#include "storage/keyspace.h"

namespace basalt::scripting {
namespace {

std::atomic<Runtime*> g_runtime{nullptr};

int ScriptProbe() {
  Runtime* r = g_runtime.load(std::memory_order_relaxed);
  if (r == nullptr || !r->running()) return 0;
  return r->busy() ? 2 : 1;
}

int64_t MonotonicMs() { return MonotonicUs() / 1000; }

}  // namespace

void SetBusyRuntime(Runtime* r) {
  g_runtime.store(r);
  storage::SetScriptProbe(r != nullptr ? &ScriptProbe : nullptr);
}

Runtime::Runtime() : eval_(LuaEngine::Kind::kEval), functions_(LuaEngine::Kind::kFunctions) {
  RefreshCounters();
}

Runtime::~Runtime() {
  if (g_runtime.load() == this) SetBusyRuntime(nullptr);
}

void Runtime::Enter() { gate_.lock(); }

bool Runtime::EnterUnlessBusy() {
  while (!gate_.try_lock()) {
    if (busy()) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

void Runtime::Leave() { gate_.unlock(); }

void Runtime::BeginRun(bool function, int64_t threshold_ms) {
  function_.store(function, std::memory_order_relaxed);
  wrote_.store(false, std::memory_order_relaxed);
  kill_.store(false, std::memory_order_relaxed);
  threshold_ms_.store(threshold_ms, std::memory_order_relaxed);
  int64_t now = MonotonicMs();
  run_start_ms_.store(now == 0 ? 1 : now, std::memory_order_release);
}

void Runtime::EndRun() {
  run_start_ms_.store(0, std::memory_order_release);
  if (function_.load(std::memory_order_relaxed)) {
    // FUNCTION STATS stops seeing the caller's arguments before they go.
    std::lock_guard<std::mutex> lock(running_mu_);
    running_name_ = {};
    running_command_ = {};
  }
  kill_.store(false, std::memory_order_relaxed);
  // Only the Lua heaps change by running; the caches and libraries are
  // counted where they change (RefreshCounters).
  eval_memory.store(eval_.memory(), std::memory_order_relaxed);
  functions_memory.store(functions_.memory(), std::memory_order_relaxed);
}

bool Runtime::busy() const {
  int64_t start = run_start_ms_.load(std::memory_order_acquire);
  if (start == 0) return false;
  return MonotonicMs() - start > threshold_ms_.load(std::memory_order_relaxed);
}

const char* Runtime::PollStop() {
  if (abort_.load(std::memory_order_relaxed)) return "ERR Script killed by a server shutdown";
  // (Redis's text names SCRIPT KILL for FUNCTION KILL too.)
  if (kill_.load(std::memory_order_relaxed)) return "ERR Script killed by user with SCRIPT KILL...";
  return nullptr;
}

Runtime::KillResult Runtime::RequestKill(bool function) {
  if (!running()) return KillResult::kNotBusy;
  if (wrote()) return KillResult::kUnkillable;
  if (function_.load(std::memory_order_relaxed) != function) return KillResult::kWrongKind;
  kill_.store(true);
  return KillResult::kKilled;
}

void Runtime::RefreshCounters() {
  eval_memory.store(eval_.memory(), std::memory_order_relaxed);
  functions_memory.store(functions_.memory(), std::memory_order_relaxed);
  scripts_bytes.store(eval_.scripts_bytes(), std::memory_order_relaxed);
  scripts_count.store(eval_.script_count(), std::memory_order_relaxed);
  functions_count.store(libraries_.function_count(), std::memory_order_relaxed);
  libraries_count.store(libraries_.libraries().size(), std::memory_order_relaxed);
  size_t bytes = 0;
  for (const auto& [name, lib] : libraries_.libraries()) {
    bytes += lib.code.size() + name.size() + 64 * (lib.functions.size() + 1);
  }
  functions_bytes.store(bytes, std::memory_order_relaxed);
}

void Runtime::SetRunningCommand(std::string_view name,
                                std::span<const std::string_view> command) {
  std::lock_guard<std::mutex> lock(running_mu_);
  running_name_ = name;
  running_command_ = command;
}

bool Runtime::RunningCommand(std::string* name, std::vector<std::string>* command,
                             int64_t* ms) const {
  int64_t start = run_start_ms_.load(std::memory_order_acquire);
  if (start == 0 || !function_.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(running_mu_);
  if (running_name_.empty()) return false;
  *name = std::string(running_name_);
  command->assign(running_command_.begin(), running_command_.end());
  *ms = MonotonicMs() - start;
  return true;
}

}  // namespace basalt::scripting
