#include "instance_runtime.hpp"

#include <string.h>
#include <sys/wait.h>

#include "pool/channel/channel.hpp"

namespace shoal::pool {

Instance::Instance() = default;
Instance::~Instance() = default;

const char* to_string(InstanceState s) {
  switch (s) {
    case InstanceState::starting: return "starting";
    case InstanceState::ready: return "ready";
    case InstanceState::draining: return "draining";
    case InstanceState::exited: return "exited";
  }
  return "?";
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* abbrev = sigabbrev_np(sig);
    return std::string("killed by ") + (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig));
  }
  if (!WIFEXITED(wait_status)) return "ended (status " + std::to_string(wait_status) + ")";
  int code = WEXITSTATUS(wait_status);
  std::string s = "exit status " + std::to_string(code);
  // shoal-vmm reports guest crashes as the status the matching signal would
  // give natively (128 + signal), and its own failures as 1 and 2.
  switch (code) {
    case 1: return s + " (monitor error)";
    case 2: return s + " (monitor usage error)";
    case 124: return s + " (timeout)";
    case 127: return s + " (monitor could not be executed)";
    case 132: return s + " (guest crash: SIGILL)";
    case 133: return s + " (guest crash: SIGTRAP)";
    case 134: return s + " (guest abort: SIGABRT)";
    case 135: return s + " (guest crash: SIGBUS)";
    case 136: return s + " (guest crash: SIGFPE)";
    case 139: return s + " (guest crash: SIGSEGV)";
    default: return s;
  }
}

}  // namespace shoal::pool
