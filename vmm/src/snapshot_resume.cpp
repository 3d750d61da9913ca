#include "snapshot_resume.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "vmm_build_id.h"

namespace shoal::vmm {

using namespace shoal::abi;

bool is_snapshot_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t magic[sizeof image::kSnapshotMagic];
  bool yes = read(fd, magic, sizeof magic) == static_cast<ssize_t>(sizeof magic) && image::is_snapshot_magic(magic);
  close(fd);
  return yes;
}

Result<ResumeFile> open_snapshot(const std::string& path) {
  ResumeFile f;
  f.path = path;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return make_error("cannot open snapshot " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(f.fd, &st) < 0) return make_error("cannot stat snapshot " + path + ": " + strerror(errno));
  auto snap = image::read_snapshot(f.fd, static_cast<uint64_t>(st.st_size));
  if (!snap) {
    close(f.fd);
    return make_error(path + ": " + snap.error().message);
  }
  f.snap = std::move(snap.value());
  std::string id = image::fixed_string(f.snap.header.build_id, sizeof f.snap.header.build_id);
  if (id != kVmmBuildId) {
    close(f.fd);
    return make_error("snapshot " + path + " was made by another shoal-vmm build (" + id + "; this one is " +
                      kVmmBuildId + "): make it again with this shoal");
  }
  return f;
}

Result<CpuConfig> snapshot_cpu_config(const ResumeFile& f, const std::vector<kvm_cpuid_entry2>& supported,
                                      const std::function<HostCpu()>& read_host) {
  const auto& h = f.snap.header;
  auto saved = static_cast<CpuFeatures>(h.cpu_features);
  // A strict snapshot asks for its variant by name; a default one was made
  // with the host's best, which must resolve to the same variant here.
  auto config = make_cpu_config(supported, h.cpu_strict ? saved : CpuFeatures::host, read_host);
  if (!config)
    return make_error("snapshot " + f.path + " needs the CPU variant " + cpu_features_name(saved) + ": " +
                      config.error().message);
  if (config->features != saved || config->xcr0 != h.xcr0 || config->xsave_size != h.xsave_size)
    return make_error("snapshot " + f.path + " was made for the CPU variant " + cpu_features_name(saved) + " (XCR0 " +
                      hex(h.xcr0) + ", xsave " + std::to_string(h.xsave_size) + " bytes); this host gives " +
                      cpu_features_name(config->features) + " (XCR0 " + hex(config->xcr0) + ", xsave " +
                      std::to_string(config->xsave_size) + " bytes)");
  return config;
}

Result<void> check_snapshot_devices(const ResumeFile& f, const std::vector<DeviceRegion>& regions,
                                    const std::vector<uint16_t>& kick_ports) {
  const auto& s = f.snap;
  auto describe = [](const std::string& name, uint64_t addr, uint64_t size) {
    return name + " at " + hex(addr) + " (" + describe_bytes(size) + ")";
  };
  std::string have, saved;
  for (const auto& r : regions) have += (have.empty() ? "" : ", ") + describe(r.name, r.guest_addr, r.size);
  for (const auto& d : s.devices)
    saved += (saved.empty() ? "" : ", ") + describe(image::fixed_string(d.name, sizeof d.name), d.guest_addr, d.size);
  bool same = regions.size() == s.devices.size();
  for (size_t i = 0; same && i < regions.size(); ++i) {
    same = image::fixed_string(s.devices[i].name, sizeof s.devices[i].name) == regions[i].name &&
           s.devices[i].guest_addr == regions[i].guest_addr && s.devices[i].size == regions[i].size;
  }
  if (!same)
    return make_error("snapshot " + f.path + " was made with the devices [" + saved + "], this instance has [" + have +
                      "]: give it the same --channel/--net (region sizes included)");
  std::vector<uint16_t> saved_ports(s.header.kick_ports, s.header.kick_ports + s.header.kick_port_count);
  if (saved_ports != kick_ports)
    return make_error("snapshot " + f.path + " was made with other device kick ports (another monitor build)");
  return {};
}

Result<void> map_snapshot(ResumeFile& f, const GuestMemory& mem) {
  if (f.snap.header.memory_size != mem.size()) return make_error("snapshot memory size differs from guest memory");
  for (const auto& r : f.snap.ranges) {
    auto target = TRY(mem.span(r.guest_addr, r.length));
    // SAFETY: a validated, page-aligned range inside guest memory, replaced
    // by the file's pages (private: the guest's writes stay in this process).
    void* p = mmap(target.data(), r.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, f.fd,
                   static_cast<off_t>(r.file_offset));
    if (p == MAP_FAILED) return make_error("cannot map snapshot " + f.path + ": " + strerror(errno));
  }
  close(f.fd);
  f.fd = -1;
  return {};
}

void restore_hypercall_env(const ResumeFile& f, HypercallEnv& env) {
  const auto& h = f.snap.header;
  env.image_end = h.image_end;
  env.upcall_entry = h.upcall_entry;
  env.upcall_record = h.upcall_record;
  env.preempt_area = h.preempt_area;
  env.slice_ns = h.slice_ns;
  // Guest memory is now partly a private file mapping: `discard` maps fresh
  // anonymous memory instead of MADV_DONTNEED (which would bring the file's
  // bytes back).
  env.file_backed_memory = true;
}

Result<void> write_instance_fields(const GuestMemory& mem, const image::SnapshotHeader& h, const InstanceFields& in) {
  auto info = TRY(mem.read<BootInfo>(kBootInfoAddr));
  if (info.magic != kBootInfoMagic) return make_error("snapshot holds no BootInfo");
  info.resume_count += 1;
  memcpy(info.resume_random, in.random, sizeof info.resume_random);
  info.tsc_khz = in.tsc_khz;
  info.realtime_ns = in.realtime_ns;
  info.instance_start_realtime_ns = in.realtime_ns;
  info.host_signals_ignored = in.host_signals_ignored;
  // This instance's devices, not the saving one's: cleared, then filled.
  info.channel_addr = info.channel_size = 0;
  info.net_addr = info.net_size = 0;
  memset(info.net_mac, 0, sizeof info.net_mac);
  info.net_mtu = 0;
  info.net_ipv4 = info.net_gateway = 0;
  info.net_prefix = 0;
  if (in.fill_devices) in.fill_devices(info);
  TRY(mem.write(kBootInfoAddr, info));
  // This monitor's slice timer is not running (yet): say so, or the LibOS
  // would not ask for it when a second thread becomes ready.
  if (h.preempt_area != 0) TRY(mem.write<uint32_t>(h.preempt_area + offsetof(PreemptArea, armed), 0));
  TRY(mem.write<uint64_t>(h.ready_args + offsetof(HcReady, realtime_ns), in.realtime_ns));
  TRY(mem.write<uint32_t>(h.ready_args + offsetof(HcReady, result), kReadyResumed));
  return {};
}

}  // namespace shoal::vmm
