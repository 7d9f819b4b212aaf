// ZSet commands (ZADD ZRANGE ...): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterZSetFamily(CommandTable&) {}

}  // namespace basalt::commands
