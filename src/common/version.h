// Version strings reported by INFO, HELLO and --version.
#pragma once

namespace basalt {
inline constexpr char kBasaltVersion[] = "0.1.0";
// The Redis version whose behaviour Basalt reproduces; reported as
// redis_version so clients that gate features on it behave.
inline constexpr char kRedisCompatVersion[] = "7.0.15";
}  // namespace basalt
