// Hash commands (HSET HGET ...): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterHashFamily(CommandTable&) {}

}  // namespace basalt::commands
