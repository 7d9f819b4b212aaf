#include "commands/command_stats.h"

namespace basalt::commands {
namespace {
thread_local ThreadStats* t_stats = nullptr;
ThreadStats* g_shared_stats = nullptr;
}  // namespace

ThreadStats& CurrentStats() { return t_stats ? *t_stats : *g_shared_stats; }
void SetThreadStats(ThreadStats* stats) { t_stats = stats; }
void SetSharedStats(ThreadStats* stats) { g_shared_stats = stats; }

}  // namespace basalt::commands
