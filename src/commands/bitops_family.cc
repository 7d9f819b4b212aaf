// Bitops commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterBitopsFamily(CommandTable&) {}

}  // namespace basalt::commands
