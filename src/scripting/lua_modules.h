// The Lua modules Redis gives scripts that Debian does not package: struct
// (lua_struct.cc) and cmsgpack (lua_cmsgpack.cc). Each Open* pushes its
// module table, as a luaopen_ function does.
//
// Thread-safety: as the lua_State they are opened in.
#pragma once

struct lua_State;

namespace basalt::scripting {

int OpenStruct(lua_State* L);
int OpenCmsgpack(lua_State* L);

}  // namespace basalt::scripting
