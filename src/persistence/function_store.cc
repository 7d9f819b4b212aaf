#include "persistence/function_store.h"

#include <atomic>

namespace basalt::persistence {
namespace {
std::atomic<FunctionStore*> g_store{nullptr};
}  // namespace

void SetFunctionStore(FunctionStore* store) { g_store.store(store); }
FunctionStore* GetFunctionStore() { return g_store.load(); }

}  // namespace basalt::persistence
