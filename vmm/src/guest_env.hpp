// The guest program's environment: a documented default (what a login shell
// on Linux would have set, minus what names a user) that --env overrides.
#pragma once

#include <string>
#include <vector>

namespace shoal::vmm {

// The defaults, in the order the guest sees them.
inline constexpr const char* kDefaultEnv[] = {
    "HOME=/",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
};

// The defaults with each --env applied in order: "K=V" replaces K (keeping
// its place) or appends it; "K" without '=' removes K. Nothing of the host's
// environment is passed.
std::vector<std::string> guest_environment(const std::vector<std::string>& env_options);

// Whether an --env argument is well formed: a non-empty name, then "=V" or
// nothing.
bool valid_env_option(const std::string& option);

}  // namespace shoal::vmm
