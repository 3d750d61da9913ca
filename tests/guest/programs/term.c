// Signals from outside (kill of the monitor's pid): the program's handlers
// run, the default action ends it with 128+sig. Run under shoal and natively
// by tests/guest/host_signals.sh, which sends the signals once "ready" shows.
//   term MODE   (pause | spin | sleep | default | ignore | all)
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_got;

static void say(const char* s) { (void)!write(1, s, strlen(s)); }

static void on_signal(int sig) {
  const char* name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP"
                     : sig == SIGQUIT ? "SIGQUIT" : sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : "?";
  say("handler: ");
  say(name);
  say("\n");
  if (sig == SIGTERM) g_got = 1;
}

static void handle(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(sig, &sa, NULL);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "pause";
  if (strcmp(mode, "default") == 0) {
    // (A program blocked for ever with no handler at all is reported as a
    // deadlock under shoal; this one sleeps.)
    say("ready\n");
    for (;;) sleep(1);
  }
  if (strcmp(mode, "ignore") == 0) {
    signal(SIGTERM, SIG_IGN);
    say("ready\n");
    for (;;) sleep(1);
  }
  if (strcmp(mode, "all") == 0) {
    int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) handle(sigs[i]);
  } else {
    handle(SIGTERM);
  }
  say("ready\n");
  if (strcmp(mode, "spin") == 0) {
    // No system call: the monitor must interrupt program code.
    while (!g_got) __asm__ volatile("" ::: "memory");
  } else if (strcmp(mode, "sleep") == 0) {
    struct timespec ts = {60, 0};
    int r = nanosleep(&ts, &ts);
    say(r == -1 ? "nanosleep interrupted\n" : "nanosleep finished\n");
  } else {
    while (!g_got) pause();
  }
  say("draining, then exit 7\n");
  return 7;
}
