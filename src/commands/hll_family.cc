// Hll commands (PFADD PFCOUNT PFMERGE): placeholder until the family is written.
#include "commands/command_table.h"

namespace basalt::commands {

void RegisterHllFamily(CommandTable&) {}

}  // namespace basalt::commands
