#pragma once
// Which allocator serves malloc/new in this process: "mimalloc" when the Bridge is linked with it (every
// build but the sanitizer ones, services/bridge/CMakeLists.txt) and it really took over malloc, else "libc".
// Logged at start, so a build that silently fell back shows in the first log line.
namespace stk::bridge {

const char* allocator_name();

}  // namespace stk::bridge
