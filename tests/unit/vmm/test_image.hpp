// Hand-made guest images for the monitor's tests: a "LibOS" of a few raw
// instructions at kLibosBase, a data page after it, and a one-page app
// section (the image format requires one). No LibOS or builder needed.
#pragma once

#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include <shoal/abi/boot.h>
#include <shoal/abi/hypercall.h>
#include <shoal/abi/image.h>
#include <shoal/abi/layout.h>
#include <shoal/image/format.hpp>
#include <shoal/image/symbols.hpp>

namespace shoal::vmm::test {

inline constexpr uint64_t kCode = abi::kLibosBase;            // R+X page
inline constexpr uint64_t kData = abi::kLibosBase + 0x1000;   // R+W page
inline constexpr uint64_t kBounceSlot = kData + 0xff8;
inline constexpr uint64_t kApp = abi::kAppMinAddr;

struct TestGuest {
  std::vector<uint8_t> code;          // at kCode; execution starts at its first byte
  std::vector<uint8_t> data = std::vector<uint8_t>(0x1000, 0);  // at kData
  uint64_t bounce = 0;                // libos_syscall_bounce (default: kCode)
  std::vector<image::SymbolInput> symbols;
  std::string name = "testguest";
  uint64_t default_memory = 0;

  // Appends raw bytes.
  TestGuest& emit(std::initializer_list<uint8_t> bytes) {
    code.insert(code.end(), bytes);
    return *this;
  }
  TestGuest& emit32(uint32_t v) {
    for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  TestGuest& emit64(uint64_t v) {
    for (int i = 0; i < 8; ++i) code.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  // mov $imm32, %eax; mov $port, %dx; out %eax, %dx
  TestGuest& hypercall(abi::Hypercall nr, uint32_t args) {
    emit({0xb8}).emit32(args);
    uint16_t port = static_cast<uint16_t>(abi::kHypercallPortBase + static_cast<uint16_t>(nr));
    emit({0x66, 0xba, static_cast<uint8_t>(port), static_cast<uint8_t>(port >> 8), 0xef});
    return *this;
  }
  template <typename T>
  TestGuest& put(uint64_t guest_addr, const T& value) {
    memcpy(data.data() + (guest_addr - kData), &value, sizeof(T));
    return *this;
  }
  // exit(status) with the HcExit struct at kData.
  TestGuest& exit(int status) {
    put(kData, abi::HcExit{status, 0});
    hypercall(abi::Hypercall::exit, static_cast<uint32_t>(kData));
    return emit({0xeb, 0xfe});
  }
  // movabs $value, %rsp
  TestGuest& set_rsp(uint64_t value) { return emit({0x48, 0xbc}).emit64(value); }

  Result<void> write(const std::string& path) const {
    image::ImageWriter w;
    auto& h = w.header();
    h.components = abi::kComponentCore;
    h.libos_entry = kCode;
    h.libos_syscall_bounce = bounce ? bounce : kCode;
    h.libos_bounce_slot = kBounceSlot;
    h.app_entry = kApp;
    h.app_phdr = kApp;
    h.app_phent = 56;
    h.app_phnum = 1;
    strncpy(h.name, name.c_str(), sizeof h.name - 1);
    h.default_memory = default_memory;
    std::vector<uint8_t> text = code;
    text.resize(0x1000, 0xf4);
    w.add_loaded(abi::SectionKind::libos, abi::kSectionRead | abi::kSectionExec, kCode, text, 0x1000);
    w.add_loaded(abi::SectionKind::libos, abi::kSectionRead | abi::kSectionWrite, kData, data, 0x1000);
    w.add_loaded(abi::SectionKind::app, abi::kSectionRead | abi::kSectionExec, kApp,
                 std::vector<uint8_t>(0x1000, 0xcc), 0x1000);
    if (!symbols.empty()) w.add_unloaded(abi::SectionKind::symbols, image::build_symbols(symbols));
    return w.write(path);
  }
};

}  // namespace shoal::vmm::test
