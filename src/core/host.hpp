// Who and where this process is, for records, locks and mail: one reading of each.
#pragma once

#include <string>

namespace slipway {

// This machine's host name, or "localhost" when it cannot be read.
std::string host_name();
// The user running slipway: $USER, else the passwd entry's name for the effective uid, else
// "unknown".
std::string user_name();

}  // namespace slipway
