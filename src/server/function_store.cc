#include "server/function_store.h"

namespace basalt::server {

Status ScriptFunctionStore::Install(const std::vector<std::string>& codes, bool replace) {
  rt_.Enter();
  Status st;
  if (replace) {
    st = rt_.libraries().ReplaceAll(codes);
  } else {
    for (const auto& code : codes) {
      StatusOr<std::string> r = rt_.libraries().Load(code, false);
      if (!r.ok() && st.ok()) st = r.status();
    }
  }
  rt_.RefreshCounters();
  rt_.Leave();
  if (!st.ok()) return Status::Error("Function library load failed: " + st.message());
  return st;
}

}  // namespace basalt::server
