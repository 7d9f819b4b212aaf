#include "commands/command_context.h"

#include "server/client.h"
#include "server/server.h"

namespace basalt::commands {

void CommandContext::Error(std::string_view message) {
  failed = true;
  server.CountError(message);
  reply.Error(message);
}

storage::Database& CommandContext::db() { return server.keyspace().db(client.db()); }

void CommandContext::Propagate(std::span<const std::string_view> a) {
  if (auto* group = client.exec_log()) {
    // Inside EXEC: collected and appended as one MULTI ... EXEC unit.
    group->emplace_back(client.db(), std::vector<std::string>(a.begin(), a.end()));
  } else {
    server.write_log().Append(client.db(), a);
  }
  server.AddDirty(1);
}

void CommandContext::Changed(std::string_view key, std::string_view event, uint32_t cls) {
  server.OnKeyChanged(client.db(), key, event, cls);
}

}  // namespace basalt::commands
