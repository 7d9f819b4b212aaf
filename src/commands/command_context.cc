#include "commands/command_context.h"

#include <vector>

#include "commands/command_table.h"
#include "commands/host.h"
#include "common/strings.h"
#include "replication/write_log.h"
#include "storage/keyspace.h"

namespace basalt::commands {

void CommandContext::Error(std::string_view message) {
  failed = true;
  host.CountError(message);
  reply.Error(message);
}

storage::Database& CommandContext::db() { return host.keyspace().db(session.db()); }

void CommandContext::Propagate(std::span<const std::string_view> a) {
  // rename-command: replicas and the AOF get the command under the name the
  // client used (Redis propagates its argv), also when it is rewritten.
  std::vector<std::string_view> typed;
  if (!a.empty() && !args.empty() && !host.commands().renames().empty()) {
    const CommandSpec& top = spec.parent != nullptr ? *spec.parent : spec;
    if (EqualsIgnoreCase(a[0], top.name) && !EqualsIgnoreCase(a[0], args[0])) {
      typed.assign(a.begin(), a.end());
      typed[0] = args[0];
      a = typed;
    }
  }
  if (ExecLog* group = session.exec_log()) {
    // Inside EXEC: collected and appended as one MULTI ... EXEC unit.
    group->emplace_back(session.db(), std::vector<std::string>(a.begin(), a.end()));
  } else {
    log.Append(session.db(), a);
  }
  host.AddDirty(1);
}

void CommandContext::Changed(std::string_view key, std::string_view event, uint32_t cls) {
  host.OnKeyChanged(session.db(), key, event, cls);
}

}  // namespace basalt::commands
