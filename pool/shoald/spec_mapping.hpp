// From the validated spec (pool/spec) to the configurations of shoald's
// parts: the supervisor's services and the gateway's listener and routes.
#pragma once

#include <shoal/pool/spec/spec.hpp>

#include "gateway/config.hpp"
#include "supervisor.hpp"

namespace shoal::pool {

// `vmm_path`: the shoal-vmm to spawn. Image paths become absolute.
SupervisorConfig supervisor_config(const spec::Spec& spec, const std::string& vmm_path, bool verbose);
GatewayConfig gateway_config(const spec::Spec& spec);

}  // namespace shoal::pool
