// List commands (LPUSH RPUSH ...): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterListFamily(CommandTable&) {}

}  // namespace basalt::commands
