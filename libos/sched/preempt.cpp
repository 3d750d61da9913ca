#include "sched/preempt.hpp"

#include "core/hypercall.hpp"
#include "sched/signal_state.hpp"

alignas(8) shoal::abi::PreemptArea shoal_preempt_area;

namespace libos::sched {

namespace {

bool g_enabled = false;

void request_timer() {
  static shoal::abi::HcPreempt args;
  args.area = reinterpret_cast<uint64_t>(&shoal_preempt_area);
  args.slice_ns = kSliceNs;
  hypercall(shoal::abi::Hypercall::preempt, &args);
  if (args.result != 0) g_enabled = false;  // an older monitor: stay cooperative
}

}  // namespace

void preempt_enable() {
  if (g_enabled) return;
  if (!signal_fault_register_upcall()) return;
  g_enabled = true;
  request_timer();
}

void preempt_publish(uint32_t ready) {
  // NOTE: volatile stores: the monitor reads the area during exits only, but
  // the compiler must not keep these in registers across a hypercall.
  auto* area = static_cast<volatile shoal::abi::PreemptArea*>(&shoal_preempt_area);
  area->ready = ready;
  if (g_enabled && ready > 1 && area->armed == 0) request_timer();
}

void preempt_note_wake() {
  if (!g_enabled) return;
  auto* area = static_cast<volatile shoal::abi::PreemptArea*>(&shoal_preempt_area);
  preempt_publish(area->ready + 1);
}

}  // namespace libos::sched
