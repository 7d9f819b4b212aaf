// The server's persistence::FunctionStore: snapshots read the FUNCTION
// libraries from the scripting runtime, and loaded datasets install theirs
// there (inside the script gate).
//
// Thread-safety: Codes() from any thread without the gate (a snapshot's
// instant holds every shard lock); Install from a thread holding no shard
// lock.
#pragma once

#include <string>
#include <vector>

#include "persistence/function_store.h"
#include "scripting/runtime.h"

namespace basalt::server {

class ScriptFunctionStore final : public persistence::FunctionStore {
 public:
  explicit ScriptFunctionStore(scripting::Runtime& rt) : rt_(rt) {}
  std::vector<std::string> Codes() override { return rt_.LibraryCodes(); }
  Status Install(const std::vector<std::string>& codes, bool replace) override;

 private:
  scripting::Runtime& rt_;
};

}  // namespace basalt::server
