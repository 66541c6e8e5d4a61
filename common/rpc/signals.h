// Shutdown signals for the binaries: blockShutdownSignals() must run in main() before any thread
// starts (so every thread inherits the mask); waitForShutdownSignal() then blocks the calling
// thread until SIGTERM or SIGINT arrives and returns its number.
#pragma once

namespace tnascsi::common {

void blockShutdownSignals();
int waitForShutdownSignal();

}  // namespace tnascsi::common
