// A snapshot of a program serving over the pool's channel, resumed twice on
// two new channels (issue 13): the shared region each resumed instance finds
// is a fresh one (as shoald gives every instance its own), so the LibOS must
// re-attach to it, publish its listening port again in the new listen table
// (what tells the pool the instance is ready) and serve connections there.
// Each instance answers with its own random bytes: they must differ.
//
//   channel_rebind --vmm SHOAL_VMM --image IMAGE (snap_probe, shoal build without --net)
//
// Exit status 0 when every check passed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "pool/channel/channel.hpp"
#include "../lib/harness_check.hpp"

using namespace shoal;
using namespace shoal::pool;

namespace {

constexpr uint16_t kPort = 7777;

Result<Channel> make_channel() {
  ChannelConfig config;
  config.slot_count = 16;  // the same geometry every time: a resume needs the snapshot's
  config.ring_size = 4096;
  return Channel::create(config);
}

// Starts shoal-vmm with the channel; its output goes to out_fd.
pid_t start_vmm(Channel& ch, const std::vector<std::string>& tail, const std::string& vmm, int out_fd) {
  std::string channel_arg = ch.vmm_argument();
  pid_t vm = fork();
  if (vm == 0) {
    if (!ch.clear_cloexec()) _exit(126);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    std::vector<std::string> args{vmm, "--timeout", "60", "--channel", channel_arg};
    args.insert(args.end(), tail.begin(), tail.end());
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  ch.drop_memfd();
  return vm;
}

// One turn of the host's loop: sleep until a kick or 10 ms.
void pump(Channel& ch) {
  ch.flush();
  if (!ch.prepare_sleep()) {
    pollfd p{ch.to_host_fd(), POLLIN, 0};
    poll(&p, 1, 10);
  }
  ch.finish_sleep();
  if (ch.changed()) {
    std::vector<uint32_t> ready;
    ch.collect(ready);
  }
}

// The exit status of vm once it ends (within timeout s), or -1.
int wait_exit(Channel& ch, pid_t vm, double timeout) {
  double end = now_s() + timeout;
  while (now_s() < end) {
    int st;
    if (waitpid(vm, &st, WNOHANG) == vm) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    pump(ch);
  }
  kill(vm, SIGKILL);
  waitpid(vm, nullptr, 0);
  return -1;
}

std::string file_text(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

int temp_file() {
  char path[] = "/tmp/channel-rebind-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  return fd;
}

// Resumes the snapshot on a new channel, waits for its listen table to name
// the port, asks it for its line; "" on failure.
std::string resume_and_ask(const std::string& vmm, const std::string& snap, int n) {
  auto made = make_channel();
  if (!made.ok()) {
    CHECK(false, "channel: %s", made.error().message.c_str());
    return "";
  }
  Channel& ch = made.value();
  int out = temp_file();
  pid_t vm = start_vmm(ch, {snap}, vmm, out);
  double end = now_s() + 20;
  while (!ch.listening(kPort) && now_s() < end) pump(ch);
  CHECK(ch.listening(kPort), "instance %d: port %u not in the new channel's listen table", n, kPort);
  std::string answer;
  if (ch.listening(kPort)) {
    auto slot = ch.open(kPort, 0x0100007f, 40000);
    CHECK(slot.ok(), "instance %d: open: %s", n, slot.ok() ? "" : slot.error().message.c_str());
    while (slot.ok() && now_s() < end) {
      uint8_t buf[256];
      auto r = ch.read(*slot, buf);
      if (!r.ok()) {
        CHECK(false, "instance %d: read: %s", n, r.error().message.c_str());
        break;
      }
      answer.append(reinterpret_cast<char*>(buf), r->bytes);
      if (r->eof) break;
      if (r->bytes == 0) pump(ch);
    }
    if (slot.ok()) ch.close(*slot);
  }
  kill(vm, SIGKILL);
  waitpid(vm, nullptr, 0);
  std::string guest = file_text(out);
  close(out);
  printf("--- instance %d:\n%s", n, guest.c_str());
  size_t at = guest.find("getrandom ");
  std::string own = at == std::string::npos ? "?" : guest.substr(at + 10, 32);
  CHECK(answer == "instance " + own + "\n", "instance %d answered '%s', its getrandom is %s", n, answer.c_str(),
        own.c_str());
  return answer;
}

}  // namespace

int main(int argc, char** argv) {
  std::string vmm, image;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--vmm") vmm = argv[i + 1];
    if (k == "--image") image = argv[i + 1];
  }
  if (vmm.empty() || image.empty()) {
    fprintf(stderr, "usage: channel_rebind --vmm SHOAL_VMM --image IMAGE\n");
    return 2;
  }
  char dir[] = "/tmp/channel-rebind-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  std::string snap = std::string(dir) + "/probe.snap";

  // The boot: saves at the ready point (the poll on the listener) and ends.
  {
    auto made = make_channel();
    if (!made.ok()) {
      fprintf(stderr, "FAIL: %s\n", made.error().message.c_str());
      return 1;
    }
    Channel& ch = made.value();
    int out = temp_file();
    pid_t vm = start_vmm(ch, {"--snapshot-out", snap, image, "--", std::to_string(kPort), "serve"}, vmm, out);
    int status = wait_exit(ch, vm, 30);
    CHECK(ch.listening(kPort), "the booted instance did not publish port %u", kPort);
    CHECK(status == 0, "the snapshotting boot ended with status %d:\n%s", status, file_text(out).c_str());
    close(out);
  }
  std::string a, b;
  if (g_failures == 0) {
    a = resume_and_ask(vmm, snap, 1);
    b = resume_and_ask(vmm, snap, 2);
    CHECK(!a.empty() && a != b, "the two instances answered '%s' and '%s'", a.c_str(), b.c_str());
  }
  unlink(snap.c_str());
  rmdir(dir);
  if (g_failures) {
    printf("FAIL: %d checks failed\n", g_failures);
    return 1;
  }
  printf("PASS: two instances resumed on new channels listen there and answer with their own bytes\n");
  return 0;
}
