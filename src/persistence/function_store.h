// FunctionStore: how snapshots and dataset loads reach the FUNCTION
// libraries, which the scripting layer (above this one) owns. The server
// installs one at start-up; without one, snapshots record no libraries and a
// loaded RDB's libraries are an error.
//
// Thread-safety: Codes() is called with every shard lock held (a snapshot's
// instant) and must not take the script gate; Replace/Append are called with
// no shard lock held.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace basalt::persistence {

class FunctionStore {
 public:
  virtual ~FunctionStore() = default;
  // The code of every library, for the FUNCTION2 records of an RDB.
  virtual std::vector<std::string> Codes() = 0;
  // A loaded dataset's libraries replace the current ones (replace=true) or
  // join them (DEBUG RELOAD's merge).
  virtual Status Install(const std::vector<std::string>& codes, bool replace) = 0;
};

void SetFunctionStore(FunctionStore* store);
FunctionStore* GetFunctionStore();

}  // namespace basalt::persistence
