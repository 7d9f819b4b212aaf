// Set commands (SADD SREM ...): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterSetFamily(CommandTable&) {}

}  // namespace basalt::commands
