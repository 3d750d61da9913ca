#include "guest_env.hpp"

#include <algorithm>

namespace shoal::vmm {

namespace {

std::string name_of(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

std::vector<std::string> guest_environment(const std::vector<std::string>& env_options) {
  std::vector<std::string> env(std::begin(kDefaultEnv), std::end(kDefaultEnv));
  for (const auto& option : env_options) {
    std::string name = name_of(option);
    auto same = [&](const std::string& e) { return name_of(e) == name; };
    if (option.find('=') == std::string::npos) {
      env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
      continue;
    }
    auto it = std::find_if(env.begin(), env.end(), same);
    if (it != env.end()) {
      *it = option;
    } else {
      env.push_back(option);
    }
  }
  return env;
}

bool valid_env_option(const std::string& option) { return !option.empty() && option[0] != '='; }

}  // namespace shoal::vmm
