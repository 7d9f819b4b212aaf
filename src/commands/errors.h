// Error replies, byte for byte what Redis 7.0 sends (without the leading '-'):
// the dispatch errors the executor answers (NOAUTH, LOADING, READONLY,
// MASTERDOWN, OOM, EXECABORT, ...) and the ones handlers share. MISCONF and
// NOREPLICAS are built where their numbers are (persistence, replica acks).
#pragma once

#include <string>
#include <string_view>

namespace basalt::commands::errors {

// --- Dispatch (commands/executor.cc) ---
inline constexpr char kNoAuth[] = "NOAUTH Authentication required.";
inline constexpr char kLoading[] = "LOADING Redis is loading the dataset in memory";
inline constexpr char kReadOnlyReplica[] = "READONLY You can't write against a read only replica.";
inline constexpr char kMasterDown[] =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr char kOom[] = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr char kNotInMulti[] = "ERR Command not allowed inside a transaction";
// A MONITOR client sending a keyspace command; MONITOR inside EXEC.
inline constexpr char kMonitorKeyspace[] = "ERR Replica can't interact with the keyspace";
inline constexpr char kMonitorDenyBlocking[] = "ERR MONITOR isn't allowed for DENY BLOCKING client";
// Scripts.
inline constexpr char kBusyScript[] =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr char kBusyFunction[] =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr char kScriptUnknownCommand[] = "ERR Unknown Redis command called from script";
inline constexpr char kScriptWrongArity[] =
    "ERR Wrong number of args calling Redis command from script";
inline constexpr char kScriptNotAllowed[] = "ERR This Redis command is not allowed from script";
inline constexpr char kScriptReadOnly[] =
    "ERR Write commands are not allowed from read-only scripts.";
inline constexpr char kNoScript[] = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr char kNotBusy[] = "NOTBUSY No scripts in execution right now.";
inline constexpr char kUnkillable[] =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
inline constexpr char kNumkeysNegative[] = "ERR Number of keys can't be negative";
inline constexpr char kNumkeysTooMany[] = "ERR Number of keys can't be greater than number of args";
inline constexpr char kExecAbortPrevious[] =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr char kExecAbortPrefix[] = "EXECABORT Transaction discarded because of: ";

// "ERR wrong number of arguments for '<name>' command" (name in lower case,
// "config|get" for a subcommand, as Redis 7.0 writes it).
inline std::string WrongArity(std::string_view name) {
  return "ERR wrong number of arguments for '" + std::string(name) + "' command";
}
// "ERR Can't execute '<name>': only (P|S)SUBSCRIBE / ... are allowed in this context"
inline std::string SubscribedContext(std::string_view name) {
  return "ERR Can't execute '" + std::string(name) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

// --- Shared by handlers ---

inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kDecrOverflow[] = "ERR decrement would overflow";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kDbIndexOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kStringTooLong[] =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";

// --- By family ---
// bitops
inline constexpr char kBitOffsetError[] = "ERR bit offset is not an integer or out of range";
inline constexpr char kBitValueError[] = "ERR bit is not an integer or out of range";
inline constexpr char kBitArgError[] = "ERR The bit argument must be 1 or 0.";
inline constexpr char kFieldTypeError[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr char kOverflowTypeError[] = "ERR Invalid OVERFLOW type specified";
inline constexpr char kBitfieldRoError[] = "ERR BITFIELD_RO only supports the GET subcommand";
inline constexpr char kBitopNotError[] = "ERR BITOP NOT must be called with a single source key.";
// connection
inline constexpr char kWrongPass[] =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr char kBadName[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";
// hash
inline constexpr char kHashNotInteger[] = "ERR hash value is not an integer";
inline constexpr char kHashNotFloat[] = "ERR hash value is not a float";
inline constexpr char kIncrNanOrInf[] = "ERR value is NaN or Infinity";
inline constexpr char kCountOutOfRange[] =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr char kOutOfRange[] = "ERR value is out of range";
inline constexpr char kIntOutOfRange[] =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
// hll
inline constexpr char kNotHll[] = "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr char kNoKey[] = "ERR The specified key does not exist";
inline constexpr char kNotSparse[] = "ERR HLL encoding is not sparse";
// list
inline constexpr char kPopCountError[] = "ERR value is out of range, must be positive";
inline constexpr char kNumKeysError[] = "ERR numkeys should be greater than 0";
inline constexpr char kCountError[] = "ERR count should be greater than 0";
// GEO commands.
inline constexpr char kGeoUnit[] = "ERR unsupported unit provided. please use M, KM, FT, MI";
inline constexpr char kGeoNeedRadius[] = "ERR need numeric radius";
inline constexpr char kGeoNeedWidth[] = "ERR need numeric width";
inline constexpr char kGeoNeedHeight[] = "ERR need numeric height";
inline constexpr char kGeoNegativeRadius[] = "ERR radius cannot be negative";
inline constexpr char kGeoNegativeBox[] = "ERR height or width cannot be negative";
inline constexpr char kGeoMemberDecode[] = "ERR could not decode requested zset member";
inline constexpr char kGeoCountPositive[] = "ERR COUNT must be > 0";
inline constexpr char kGeoAnyNeedsCount[] = "ERR the ANY argument requires COUNT argument";
inline constexpr char kGeoStoreWith[] =
    "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
inline constexpr char kGeoSearchStoreWith[] =
    "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
// Followed by the command name as the client spelled it.
inline constexpr char kGeoFromPrefix[] =
    "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ";
inline constexpr char kGeoByPrefix[] = "ERR exactly one of BYRADIUS and BYBOX can be specified for ";
inline constexpr char kIndexOutOfRange[] = "ERR index out of range";
inline constexpr char kRankZero[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr char kCountNegative[] = "ERR COUNT can't be negative";
inline constexpr char kMaxLenNegative[] = "ERR MAXLEN can't be negative";
// set
inline constexpr char kTooManyKeys[] = "ERR Number of keys can't be greater than number of args";
inline constexpr char kNegativeLimit[] = "ERR LIMIT can't be negative";
inline constexpr char kRandReplyTooLarge[] =
    "ERR SRANDMEMBER count is too large: the reply would exceed proto-max-bulk-len";

// blocking
inline constexpr char kTimeoutNotFloat[] = "ERR timeout is not a float or out of range";
inline constexpr char kTimeoutNegative[] = "ERR timeout is negative";
inline constexpr char kTimeoutOutOfRange[] = "ERR timeout is out of range";
// connection
inline constexpr char kProtoVersionNotInteger[] =
    "ERR Protocol version is not an integer or out of range";
inline constexpr char kNoProto[] = "NOPROTO unsupported protocol version";
inline constexpr char kInvalidClientId[] = "ERR Invalid client ID";
inline constexpr char kNoSuchClient[] = "ERR No such client";
inline constexpr char kClientIdPositive[] = "ERR client-id should be greater than 0";
inline constexpr char kTimeoutNotInteger[] = "ERR timeout is not an integer or out of range";
inline constexpr char kClientPauseArity[] =
    "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.";
inline constexpr char kClientPauseMode[] = "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr char kClientUnblockReason[] =
    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
// keys
inline constexpr char kExpireNxXxGtLt[] =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr char kGtLt[] = "ERR GT and LT options at the same time are not compatible";
inline constexpr char kInvalidFirstDbIndex[] = "ERR invalid first DB index";
inline constexpr char kInvalidSecondDbIndex[] = "ERR invalid second DB index";
// persistence
inline constexpr char kInvalidIdletime[] = "ERR Invalid IDLETIME value, must be >= 0";
inline constexpr char kInvalidFreq[] = "ERR Invalid FREQ value, must be >= 0 and <= 255";
inline constexpr char kBusyKey[] = "BUSYKEY Target key name already exists.";
inline constexpr char kInvalidTtl[] = "ERR Invalid TTL value, must be >= 0";
// replication
inline constexpr char kInvalidMasterPort[] = "ERR Invalid master port";
inline constexpr char kFailoverTimeout[] = "ERR FAILOVER timeout must be greater than 0";
inline constexpr char kReplicaofDuringFailover[] = "ERR REPLICAOF not allowed while failing over.";
inline constexpr char kSyncDuringFailover[] = "NOMASTERLINK Can't SYNC while failing over";
// sentinel
inline constexpr char kSentinelConfigGetSet[] =
    "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.";
inline constexpr char kUnknownFailureSimulation[] = "ERR Unknown failure simulation specified";
inline constexpr char kSentinelOnlyHello[] =
    "ERR Only HELLO messages are accepted by Sentinel instances.";
// server
inline constexpr char kGetKeysNoCommand[] = "ERR Invalid command specified";
inline constexpr char kGetKeysNoKeys[] = "ERR The command has no key arguments";
inline constexpr char kGetKeysArity[] = "ERR Invalid number of arguments specified for command";
inline constexpr char kGetKeysInvalid[] = "ERR Invalid arguments specified for command";
inline constexpr char kDebugReloadOptions[] =
    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
inline constexpr char kSlowlogCountRange[] = "ERR count should be greater than or equal to -1";
inline constexpr char kNoShutdownInProgress[] = "ERR No shutdown in progress.";
// sort
inline constexpr char kSortScoreNotDouble[] =
    "ERR One or more scores can't be converted into double";
// string
inline constexpr char kLcsNotStrings[] = "ERR The specified keys must contain string values";
inline constexpr char kLcsLenAndIdx[] =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr char kLcsTooLarge[] =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
// transaction
inline constexpr char kNestedMulti[] = "ERR MULTI calls can not be nested";
inline constexpr char kExecWithoutMulti[] = "ERR EXEC without MULTI";
inline constexpr char kDiscardWithoutMulti[] = "ERR DISCARD without MULTI";
inline constexpr char kWatchInMulti[] = "ERR WATCH inside MULTI is not allowed";
// zset
inline constexpr char kXxNx[] = "ERR XX and NX options at the same time are not compatible";
inline constexpr char kZAddGtLtNx[] =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr char kZAddIncrPair[] = "ERR INCR option supports a single increment-element pair";
// zset_range
inline constexpr char kWithScoresByLex[] =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

// ops1
// keys: "ERR Unsupported option <option>" (EXPIRE and its variants).
inline std::string UnsupportedOption(std::string_view option) {
  return "ERR Unsupported option " + std::string(option);
}
// hll: "ERR Unknown PFDEBUG subcommand '<subcommand>'".
inline std::string UnknownPfDebugSubcommand(std::string_view sub) {
  return "ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'";
}
// ops3
// zset, zset_range (the first four were in zset_ops.h)
inline constexpr char kZMinMaxNotFloat[] = "ERR min or max is not a float";
inline constexpr char kZLexRangeInvalid[] = "ERR min or max not valid string range item";
inline constexpr char kZNaNResult[] = "ERR resulting score is not a number (NaN)";
inline constexpr char kZWeightNotFloat[] = "ERR weight value is not a float";
inline constexpr char kZLimitNeedsByScoreOrLex[] =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
// "ERR at least 1 input key is needed for '<name>' command" (ZUNION, ZINTER, ...)
inline constexpr char kZInputKeyNeededPrefix[] = "ERR at least 1 input key is needed for '";
inline constexpr char kZInputKeyNeededSuffix[] = "' command";

// --- Texts that the connection, server, pub/sub, replication, WAIT and
// sentinel families send (long ones and the ones built around an argument) ---
inline constexpr char kAuthWithoutPassword[] =
    "ERR AUTH <password> called without any password configured for the default user. Are "
    "you sure your configuration is correct?";
inline constexpr char kHelloNoAuth[] =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
inline constexpr char kObjectIdleTimeLfu[] =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr char kObjectFreqNotLfu[] =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr char kDebugNotAllowed[] =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr char kWaitOnReplica[] =
    "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
    "replica is configured to be writable (which is not the default) writes to replicas are "
    "just local and are not propagated.";
inline std::string HelloSyntax(std::string_view option) {
  return "ERR Syntax error in HELLO option '" + std::string(option) + "'";
}
inline std::string UnknownClientType(std::string_view type) {
  return "ERR Unknown client type '" + std::string(type) + "'";
}
inline std::string NoSuchUser(std::string_view user) {
  return "ERR No such user '" + std::string(user) + "'";
}
inline std::string UnknownReplconfOption(std::string_view option) {
  return "ERR Unrecognized REPLCONF option: " + std::string(option);
}
// "ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP."
inline std::string SubcommandSyntax(std::string_view sub, std::string_view container) {
  return "ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
         "'. Try " + std::string(container) + " HELP.";
}
inline std::string SentinelDebugOption(std::string_view option) {
  return "ERR Unknown option or number of arguments for SENTINEL DEBUG '" + std::string(option) +
         "'";
}

// CLIENT TRACKING / CACHING (client-side caching).
inline constexpr char kTrackingOneRedirect[] =
    "ERR A client can only redirect to a single other client";
inline constexpr char kTrackingNoRedirectClient[] =
    "ERR The client ID you want redirect to does not exist";
inline constexpr char kTrackingPrefixNeedsBcast[] =
    "ERR PREFIX option requires BCAST mode to be enabled";
inline constexpr char kTrackingSwitchBcast[] =
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
    "then re-enabling it with a different mode.";
inline constexpr char kTrackingOptBcast[] = "ERR OPTIN and OPTOUT are not compatible with BCAST";
inline constexpr char kTrackingOptinOptout[] =
    "ERR You can't specify both OPTIN mode and OPTOUT mode";
inline constexpr char kTrackingSwitchOpt[] =
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
    "then re-enabling it with a different mode.";
inline constexpr char kCachingNotTracking[] =
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
    "OPTOUT mode enabled";
inline constexpr char kCachingYesNeedsOptin[] =
    "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
inline constexpr char kCachingNoNeedsOptout[] =
    "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";
// CLIENT TRACKING ... BCAST PREFIX: two prefixes where one starts the other.
inline std::string TrackingPrefixOverlap(std::string_view prefix, std::string_view other,
                                         bool existing) {
  return "ERR Prefix '" + std::string(prefix) + "' overlaps with " +
         (existing ? "an existing" : "another provided") + " prefix '" + std::string(other) +
         "'. Prefixes for a single client must not overlap.";
}

}  // namespace basalt::commands::errors
