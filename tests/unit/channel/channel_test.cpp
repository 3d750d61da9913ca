// The host channel library against a simulated guest (a second mapping of the
// same memfd): the connection state machine, data both ways, slot reuse.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_sim.hpp"

using namespace shoal;
using namespace shoal::pool;
using namespace shoal::pool::test;

namespace {

ChannelConfig small_config(uint32_t slots = 8, uint32_t ring = 4096) {
  ChannelConfig c;
  c.slot_count = slots;
  c.ring_size = ring;
  c.services = {{"catalog", 0x0a4d0001}, {"cart", 0x0a4d0002}};
  return c;
}

Channel make(const ChannelConfig& c = small_config()) {
  auto r = Channel::create(c);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(r.value());
}

// Opens a host connection and has the guest accept it.
uint32_t open_accepted(Channel& ch, GuestSim& g, uint16_t port = 8080) {
  auto slot = ch.open(port, 0x0100007f, 40000);
  EXPECT_TRUE(slot.ok());
  EXPECT_TRUE(g.accept(*slot));
  return *slot;
}

TEST(ChannelCreate, WritesAHeaderTheGuestAccepts) {
  Channel ch = make();
  GuestSim g(ch);
  auto* h = g.header();
  EXPECT_EQ(h->magic, sabi::kChannelMagic);
  EXPECT_EQ(h->slot_count, 8u);
  EXPECT_EQ(h->ring_size, 4096u);
  EXPECT_EQ(h->region_size, sabi::channel_region_size(8, 4096));
  EXPECT_EQ(h->service_count, 2u);
  EXPECT_STREQ(h->services[0].name, "catalog");
  EXPECT_EQ(h->services[1].ipv4, 0x0a4d0002u);
  EXPECT_EQ(ch.region_size(), sabi::channel_region_size(8, 4096));
  // Sealed against resizing, as shoal-vmm requires.
  int seals = fcntl(ch.fds().memfd, F_GET_SEALS);
  EXPECT_TRUE(seals & F_SEAL_SHRINK);
  EXPECT_TRUE(seals & F_SEAL_GROW);
}

TEST(ChannelCreate, RejectsBadConfigurations) {
  auto bad = [](ChannelConfig c) {
    auto r = Channel::create(c);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
  };
  auto c = small_config();
  c.slot_count = 3;
  EXPECT_NE(bad(c).find("slot count"), std::string::npos);
  c = small_config();
  c.ring_size = 5000;
  EXPECT_NE(bad(c).find("ring size"), std::string::npos);
  c = small_config(256, 1 << 20);
  EXPECT_NE(bad(c).find("limit"), std::string::npos);
  c = small_config();
  c.services = {{"Bad_Name", 1}};
  EXPECT_NE(bad(c).find("service name"), std::string::npos);
  c.services = {{"", 1}};
  bad(c);
  c.services = {{std::string(sabi::kServiceNameMax, 'a'), 1}};
  bad(c);
  c.services.assign(sabi::kMaxServices + 1, {"x", 1});
  bad(c);
}

TEST(ChannelCreate, DescriptorsAreCloseOnExecUntilCleared) {
  Channel ch = make();
  auto fds = ch.fds();
  for (int fd : {fds.memfd, fds.to_host, fds.to_guest}) EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(ch.vmm_argument(), std::to_string(fds.memfd) + "," + std::to_string(fds.to_host) + "," +
                                   std::to_string(fds.to_guest));
  EXPECT_TRUE(ch.clear_cloexec());
  for (int fd : {fds.memfd, fds.to_host, fds.to_guest}) EXPECT_FALSE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  for (int fd : {fds.to_host, fds.to_guest}) EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

TEST(ChannelConnections, OpenAcceptExchangeClose) {
  Channel ch = make();
  GuestSim g(ch);
  auto slot = ch.open(8080, 0x0100007f, 40000);
  ASSERT_TRUE(slot.ok()) << slot.error().message;
  EXPECT_LT(*slot, 4u);  // host-opened slots are the lower half
  EXPECT_EQ(ch.status(*slot).state, ConnState::connecting);
  // Bytes may go before the guest accepts.
  EXPECT_EQ(ch.write(*slot, bytes_of("GET / HTTP/1.1\r\n")).value(), 16u);

  ASSERT_EQ(g.next_connecting(), *slot);
  auto* s = g.slot(*slot);
  EXPECT_EQ(s->port, 8080u);
  EXPECT_EQ(s->peer_ipv4, 0x0100007fu);
  EXPECT_EQ(s->peer_port, 40000u);
  ASSERT_TRUE(g.accept(*slot));
  EXPECT_TRUE(ch.changed());
  std::vector<uint32_t> ready;
  ch.collect(ready);
  EXPECT_EQ(ready, std::vector<uint32_t>{*slot});
  EXPECT_EQ(ch.status(*slot).state, ConnState::open);

  EXPECT_EQ(g.read(*slot), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(g.write(*slot, "HTTP/1.1 200 OK\r\n"), 17);
  EXPECT_EQ(ch.status(*slot).readable, 17u);
  bool eof = true;
  EXPECT_EQ(host_read_all(ch, *slot, &eof), "HTTP/1.1 200 OK\r\n");
  EXPECT_FALSE(eof);

  // The guest shuts its side: EOF after the last bytes.
  EXPECT_EQ(g.write(*slot, "bye"), 3);
  g.set_flags(*slot, sabi::kShutWrite);
  EXPECT_TRUE(ch.status(*slot).peer_shut_write);
  EXPECT_EQ(host_read_all(ch, *slot, &eof), "bye");
  EXPECT_TRUE(eof);

  // Host closes first: shut + released; the slot frees when the guest releases.
  ch.close(*slot);
  EXPECT_EQ(g.host_flags(*slot) & sabi::kShutWrite, sabi::kShutWrite);
  EXPECT_EQ(sabi::slot_released(g.slot(*slot)), uint32_t{sabi::kReleasedHost});
  EXPECT_EQ(ch.slots_in_use(), 1u);
  EXPECT_TRUE(g.release(*slot));
  EXPECT_EQ(sabi::slot_state(g.slot(*slot)), uint32_t{sabi::kSlotFree});
  ready.clear();
  ch.collect(ready);
  EXPECT_TRUE(ready.empty());  // the gateway forgot the slot: no report
  EXPECT_EQ(ch.slots_in_use(), 0u);
  EXPECT_EQ(ch.status(*slot).state, ConnState::unused);
}

TEST(ChannelConnections, GuestReleasesFirst) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t slot = open_accepted(ch, g);
  g.write(slot, "last words");
  g.set_flags(slot, sabi::kShutWrite);
  EXPECT_FALSE(g.release(slot));
  auto st = ch.status(slot);
  EXPECT_TRUE(st.peer_closed);
  EXPECT_EQ(st.writable, 0u);
  auto w = ch.write(slot, bytes_of("x"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, EPIPE);
  bool eof = false;
  EXPECT_EQ(host_read_all(ch, slot, &eof), "last words");
  EXPECT_TRUE(eof);
  ch.close(slot);  // completes the release
  EXPECT_EQ(sabi::slot_state(g.slot(slot)), uint32_t{sabi::kSlotFree});
  EXPECT_EQ(ch.slots_in_use(), 0u);
}

TEST(ChannelConnections, RefusedConnection) {
  Channel ch = make();
  GuestSim g(ch);
  auto slot = ch.open(81, 0, 0).value();
  ASSERT_TRUE(g.refuse(slot));
  EXPECT_EQ(ch.status(slot).state, ConnState::refused);
  uint8_t buf[8];
  EXPECT_EQ(ch.read(slot, buf).error().code, ECONNREFUSED);
  EXPECT_EQ(ch.write(slot, bytes_of("x")).error().code, ECONNREFUSED);
  ch.close(slot);
  EXPECT_EQ(sabi::slot_state(g.slot(slot)), uint32_t{sabi::kSlotFree});
  EXPECT_EQ(ch.slots_in_use(), 0u);
}

TEST(ChannelConnections, CancelRacesAccept) {
  Channel ch = make();
  GuestSim g(ch);
  // Cancel first: the guest finds nothing to accept.
  auto a = ch.open(8080, 0, 0).value();
  EXPECT_TRUE(ch.cancel_if_unaccepted(a));
  EXPECT_EQ(sabi::slot_state(g.slot(a)), uint32_t{sabi::kSlotFree});
  EXPECT_FALSE(g.accept(a));
  EXPECT_FALSE(g.next_connecting());
  // Accept first: cancel loses and the connection is open.
  auto b = ch.open(8080, 0, 0).value();
  ASSERT_TRUE(g.accept(b));
  EXPECT_FALSE(ch.cancel_if_unaccepted(b));
  EXPECT_EQ(ch.status(b).state, ConnState::open);
  // Closing an unaccepted connection withdraws it too.
  auto c = ch.open(8080, 0, 0).value();
  ch.close(c);
  EXPECT_EQ(sabi::slot_state(g.slot(c)), uint32_t{sabi::kSlotFree});
  EXPECT_FALSE(g.accept(c));
}

TEST(ChannelConnections, EveryHostSlotInUseThenReused) {
  Channel ch = make();
  GuestSim g(ch);
  std::vector<uint32_t> slots;
  for (int i = 0; i < 4; ++i) slots.push_back(open_accepted(ch, g));
  std::sort(slots.begin(), slots.end());
  EXPECT_EQ(slots, (std::vector<uint32_t>{0, 1, 2, 3}));
  auto full = ch.open(8080, 0, 0);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, EAGAIN);
  for (uint32_t s : slots) {
    ch.close(s);
    g.release(s);
  }
  std::vector<uint32_t> ready;
  ch.collect(ready);
  EXPECT_EQ(ch.slots_in_use(), 0u);
  // Many rounds through the same four slots.
  for (int round = 0; round < 50; ++round) {
    uint32_t s = open_accepted(ch, g);
    std::string msg = "round " + std::to_string(round);
    ASSERT_EQ(ch.write(s, bytes_of(msg)).value(), msg.size());
    ASSERT_EQ(g.read(s), msg);  // fresh rings: nothing left over from earlier use
    g.release(s);
    ch.close(s);
  }
  EXPECT_EQ(ch.slots_in_use(), 0u);
}

TEST(ChannelConnections, ClosedButNotReleasedSlotIsNotReused) {
  Channel ch = make(small_config(2));
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  ch.close(s);
  EXPECT_FALSE(ch.open(8080, 0, 0).ok());  // the guest still holds its end
  g.release(s);
  EXPECT_TRUE(ch.open(8080, 0, 0).ok());
}

TEST(ChannelConnections, ResetIsSeenByTheGuest) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  ch.reset(s);
  EXPECT_EQ(g.host_flags(s) & sabi::kReset, sabi::kReset);
  EXPECT_TRUE(g.release(s));
  // And a guest reset is seen by the host.
  uint32_t t = open_accepted(ch, g);
  g.write(t, "discarded");
  g.set_flags(t, sabi::kReset);
  EXPECT_TRUE(ch.status(t).peer_reset);
  uint8_t buf[16];
  EXPECT_EQ(ch.read(t, buf).error().code, ECONNRESET);
  EXPECT_EQ(ch.write(t, bytes_of("x")).error().code, ECONNRESET);
}

TEST(ChannelConnections, ShutdownWrite) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  ASSERT_TRUE(ch.write(s, bytes_of("req")).ok());
  ASSERT_TRUE(ch.shutdown_write(s).ok());
  EXPECT_EQ(g.host_flags(s), uint32_t{sabi::kShutWrite});
  EXPECT_EQ(ch.write(s, bytes_of("more")).error().code, EPIPE);
  EXPECT_EQ(ch.status(s).writable, 0u);
  // Half-closed: the guest can still answer.
  EXPECT_EQ(g.read(s), "req");
  g.write(s, "resp");
  EXPECT_EQ(host_read_all(ch, s), "resp");
}

TEST(ChannelConnections, BadSlotNumbers) {
  Channel ch = make();
  uint8_t buf[4];
  EXPECT_EQ(ch.read(999, buf).error().code, EBADF);
  EXPECT_EQ(ch.write(999, bytes_of("x")).error().code, EBADF);
  EXPECT_EQ(ch.read(0, buf).error().code, ENOTCONN);
  EXPECT_EQ(ch.write(0, bytes_of("x")).error().code, ENOTCONN);
  EXPECT_FALSE(ch.shutdown_write(0).ok());
  EXPECT_FALSE(ch.accept(0).ok());
  EXPECT_FALSE(ch.refuse(999).ok());
  EXPECT_FALSE(ch.cancel_if_unaccepted(999));
  ch.close(999);
  ch.reset(999);
  ch.close(0);
  EXPECT_EQ(ch.status(999).state, ConnState::unused);
  EXPECT_FALSE(ch.open(0, 0, 0).ok());
}

TEST(ChannelRings, WrapAround) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  // Offsets walk around the 4096-byte ring several times, never aligned.
  for (int i = 0; i < 20; ++i) {
    std::string msg(3001 + i, static_cast<char>('a' + i));
    msg[0] = '<';
    msg.back() = '>';
    ASSERT_EQ(ch.write(s, bytes_of(msg)).value(), msg.size());
    ASSERT_EQ(g.read(s), msg) << i;
    ASSERT_EQ(g.write(s, msg), static_cast<int64_t>(msg.size()));
    ASSERT_EQ(host_read_all(ch, s), msg) << i;
  }
}

TEST(ChannelRings, BackPressure) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  std::string big(10000, 'x');
  EXPECT_EQ(ch.write(s, bytes_of(big)).value(), 4096u);
  EXPECT_EQ(ch.write(s, bytes_of(big)).value(), 0u);  // full: back-pressure, not an error
  EXPECT_EQ(ch.status(s).writable, 0u);
  std::vector<uint32_t> ready;
  ch.collect(ready);
  ready.clear();
  EXPECT_EQ(g.read(s, 1000).size(), 1000u);
  ch.collect(ready);
  EXPECT_EQ(ready, std::vector<uint32_t>{s});  // room freed is news
  EXPECT_EQ(ch.status(s).writable, 1000u);
  EXPECT_EQ(ch.write(s, bytes_of(big)).value(), 1000u);
  // The guest side too: its ring fills and the host frees it.
  EXPECT_EQ(g.write(s, big), 4096);
  EXPECT_EQ(g.write(s, big), 0);
  uint8_t buf[100];
  EXPECT_EQ(ch.read(s, buf)->bytes, 100u);
  EXPECT_EQ(g.write(s, big), 100);
}

TEST(ChannelGuestOpen, AcceptedAndUsed) {
  Channel ch = make();
  GuestSim g(ch);
  auto s = g.connect(1, 8080, 0x0a4d0002);
  ASSERT_TRUE(s);
  EXPECT_GE(*s, 4u);  // guest-opened slots are the upper half
  EXPECT_TRUE(ch.changed());
  auto open = ch.next_guest_open();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->slot, *s);
  EXPECT_EQ(open->service, 1u);
  EXPECT_EQ(open->port, 8080u);
  EXPECT_EQ(open->dest_ipv4, 0x0a4d0002u);
  EXPECT_FALSE(ch.next_guest_open());  // reported once
  EXPECT_EQ(ch.status(*s).state, ConnState::pending);
  ASSERT_TRUE(ch.accept(*s).ok());
  EXPECT_EQ(sabi::slot_state(g.slot(*s)), uint32_t{sabi::kSlotOpen});
  g.write(*s, "GET /item/1");
  EXPECT_EQ(host_read_all(ch, *s), "GET /item/1");
  ASSERT_EQ(ch.write(*s, bytes_of("{}")).value(), 2u);
  EXPECT_EQ(g.read(*s), "{}");
  EXPECT_FALSE(g.release(*s));
  ch.close(*s);
  EXPECT_EQ(sabi::slot_state(g.slot(*s)), uint32_t{sabi::kSlotFree});
}

TEST(ChannelGuestOpen, RefusedWithdrawnAndBad) {
  Channel ch = make();
  GuestSim g(ch);
  auto a = g.connect(0, 80, 1).value();
  ASSERT_TRUE(ch.next_guest_open());
  ASSERT_TRUE(ch.refuse(a).ok());
  EXPECT_EQ(sabi::slot_state(g.slot(a)), uint32_t{sabi::kSlotRefused});
  EXPECT_TRUE(sabi::slot_free_refused(g.slot(a)));
  // The guest gives up before the host answers.
  auto b = g.connect(0, 80, 1).value();
  ASSERT_EQ(ch.next_guest_open()->slot, b);
  ASSERT_TRUE(sabi::slot_cancel(g.slot(b)));
  EXPECT_TRUE(ch.status(b).peer_reset);
  auto r = ch.accept(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ECONNABORTED);
  // A service index out of range is reported as kServiceNone; port 0 or
  // above 65535 is refused without a report.
  auto c = g.connect(77, 80, 1).value();
  EXPECT_EQ(ch.next_guest_open()->service, sabi::kServiceNone);
  EXPECT_TRUE(ch.refuse(c).ok());
  auto d = g.connect(0, 70000, 1).value();
  EXPECT_FALSE(ch.next_guest_open());
  EXPECT_EQ(sabi::slot_state(g.slot(d)), uint32_t{sabi::kSlotRefused});
}

TEST(ChannelReadiness, ListenTable) {
  Channel ch = make();
  GuestSim g(ch);
  EXPECT_FALSE(ch.listening(8080));
  EXPECT_TRUE(sabi::channel_listen_add(g.header(), 8080));
  EXPECT_TRUE(sabi::channel_listen_add(g.header(), 9090));
  EXPECT_TRUE(ch.listening(8080));
  EXPECT_FALSE(ch.listening(0));
  EXPECT_EQ(ch.listen_ports(), (std::vector<uint16_t>{8080, 9090}));
  // Junk the guest may write is filtered.
  g.header()->listen_ports[5] = 0x12345;
  g.header()->listen_ports[6] = 8080;
  EXPECT_EQ(ch.listen_ports(), (std::vector<uint16_t>{8080, 9090}));
  sabi::channel_listen_remove(g.header(), 8080);
  EXPECT_FALSE(ch.listening(8080));
}

TEST(ChannelEvents, ChangedCollectAndKicks) {
  Channel ch = make();
  GuestSim g(ch);
  EXPECT_FALSE(ch.changed());
  uint32_t s = open_accepted(ch, g);
  EXPECT_TRUE(ch.changed());
  EXPECT_FALSE(ch.changed());
  std::vector<uint32_t> ready;
  ch.collect(ready);
  ready.clear();
  ch.collect(ready);
  EXPECT_TRUE(ready.empty());  // nothing new since the last collect

  int to_guest = ch.fds().to_guest;
  auto kicked = [&] {
    pollfd p{to_guest, POLLIN, 0};
    bool r = poll(&p, 1, 0) == 1;
    uint64_t v;
    if (r) (void)!::read(to_guest, &v, sizeof v);
    return r;
  };
  // The guest is awake: writes are seen without a kick.
  ASSERT_TRUE(ch.write(s, bytes_of("a")).ok());
  ch.flush();
  EXPECT_FALSE(kicked());
  EXPECT_EQ(ch.kicks_sent(), 0u);
  // The guest announced sleep: one kick for a whole batch.
  sabi::channel_announce_sleep(g.header(), sabi::kSideGuest);
  ASSERT_TRUE(ch.write(s, bytes_of("b")).ok());
  ASSERT_TRUE(ch.write(s, bytes_of("c")).ok());
  ch.flush();
  ch.flush();
  EXPECT_TRUE(kicked());
  EXPECT_EQ(ch.kicks_sent(), 1u);
  ASSERT_TRUE(ch.write(s, bytes_of("d")).ok());
  ch.flush();  // the flag was taken: no second kick until the guest re-announces
  EXPECT_FALSE(kicked());
  EXPECT_EQ(g.read(s), "abcd");
  // host_events moved with every change.
  EXPECT_GT(sabi::channel_events(g.header(), sabi::kSideHost), 4u);
}

// Reading what the guest sent frees room in its ring. A sleeping guest is
// kicked for that only if the ring was full (its writer waits for room only
// then): a response read from an idle instance must not wake it again.
TEST(ChannelEvents, ConsumingKicksOnlyAFullRing) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  ch.flush();  // the open: the guest is awake, no kick
  int to_guest = ch.fds().to_guest;
  auto kicked = [&] {
    pollfd p{to_guest, POLLIN, 0};
    bool r = poll(&p, 1, 0) == 1;
    uint64_t v;
    if (r) (void)!::read(to_guest, &v, sizeof v);
    return r;
  };
  EXPECT_EQ(g.write(s, "HTTP/1.1 200 OK\r\n\r\n"), 19);
  sabi::channel_announce_sleep(g.header(), sabi::kSideGuest);
  uint32_t events = sabi::channel_events(g.header(), sabi::kSideHost);
  uint8_t buf[64];
  EXPECT_EQ(ch.read(s, buf)->bytes, 19u);
  ch.flush();
  EXPECT_FALSE(kicked());
  EXPECT_EQ(ch.kicks_sent(), 0u);
  // Still news for the guest when it looks (host_events moved).
  EXPECT_NE(sabi::channel_events(g.header(), sabi::kSideHost), events);
  // A full ring: the guest's writer may wait for room, so it is kicked.
  std::string big(10000, 'x');
  EXPECT_EQ(g.write(s, big), 4096);
  EXPECT_EQ(g.write(s, big), 0);
  EXPECT_EQ(ch.read(s, buf)->bytes, 64u);
  ch.flush();
  EXPECT_TRUE(kicked());
  EXPECT_EQ(ch.kicks_sent(), 1u);
}

// The hook that tells the owner a sleeping guest was kicked, and the
// announcement withdrawn without a system call.
TEST(ChannelEvents, GuestKickHookAndWithdraw) {
  Channel ch = make();
  GuestSim g(ch);
  uint32_t s = open_accepted(ch, g);
  int hooked = 0;
  ch.set_guest_kick_hook([&] { ++hooked; });
  ASSERT_TRUE(ch.write(s, bytes_of("a")).ok());
  ch.flush();
  EXPECT_EQ(hooked, 0);  // the guest is awake: no kick, no hook
  sabi::channel_announce_sleep(g.header(), sabi::kSideGuest);
  ASSERT_TRUE(ch.write(s, bytes_of("b")).ok());
  ch.flush();
  EXPECT_EQ(hooked, 1);
  (void)ch.changed();  // the guest's accept, seen
  EXPECT_FALSE(ch.prepare_sleep());
  EXPECT_EQ(g.header()->host_sleeping, 1u);
  ch.withdraw_sleep();
  EXPECT_EQ(g.header()->host_sleeping, 0u);
  // The guest then publishes without kicking; the host sees it by polling.
  g.bump();
  EXPECT_FALSE(sabi::channel_take_kick(g.header(), sabi::kSideHost));
  EXPECT_TRUE(ch.changed());
}

TEST(ChannelEvents, SleepAnnouncement) {
  Channel ch = make();
  GuestSim g(ch);
  EXPECT_FALSE(ch.prepare_sleep());  // nothing pending: sleep
  EXPECT_EQ(g.header()->host_sleeping, 1u);
  // The guest publishes and sees the host asleep: it must kick.
  g.bump();
  EXPECT_TRUE(sabi::channel_take_kick(g.header(), sabi::kSideHost));
  uint64_t one = 1;
  ASSERT_EQ(::write(ch.to_host_fd(), &one, sizeof one), 8);
  ch.finish_sleep();
  EXPECT_EQ(g.header()->host_sleeping, 0u);
  pollfd p{ch.to_host_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);  // drained
  // Work published before the announcement is caught by the re-check.
  g.bump();
  EXPECT_TRUE(ch.prepare_sleep());
  ch.finish_sleep();
  EXPECT_TRUE(ch.changed());
  EXPECT_FALSE(ch.prepare_sleep());
  ch.finish_sleep();
}

TEST(ChannelLife, MoveKeepsTheRegion) {
  Channel a = make();
  GuestSim g(a);
  uint32_t s = open_accepted(a, g);
  Channel b = std::move(a);
  ASSERT_TRUE(b.write(s, bytes_of("moved")).ok());
  EXPECT_EQ(g.read(s), "moved");
  EXPECT_EQ(a.fds().memfd, -1);
  b.drop_memfd();
  EXPECT_EQ(b.fds().memfd, -1);
  ASSERT_TRUE(b.write(s, bytes_of("still mapped")).ok());
  EXPECT_EQ(g.read(s), "still mapped");
}

}  // namespace
