// shoal: the command line. Subcommands: build, run, inspect, snapshot, and the pool
// commands up, ps, logs, scale, down, top (pool_commands.hpp).
#include <stdio.h>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "pool_commands.hpp"

int main(int argc, char** argv) {
  using namespace shoal::cli;
  CLI::App app{"shoal: build and run unikernel images of static Linux programs"};
  app.require_subcommand(1);

  BuildCommand b;
  auto* build = app.add_subcommand("build", "Build a .shoal image from an x86-64 program (static or dynamically linked)");
  build->add_option("program", b.program, "ELF program (a dynamic one is packed with its interpreter and libraries)")->required();
  build->add_option("-o,--output", b.output, "Output image (default: PROGRAM's basename + .shoal)");
  build->add_option("--root", b.root, "Directory packed as the read-only root filesystem");
  build->add_option("--writable", b.writable,
                    "Directory (absolute, e.g. /data) mounted writable in memory, seeded from the root (repeatable)")
      ->allow_extra_args(false);
  build->add_option("--name", b.name, "Program name (argv[0] in the guest)");
  build->add_option("--memory", b.memory, "Default guest memory (e.g. 128M)");
  build->add_flag("--no-rewrite", b.no_rewrite, "Leave every syscall to the ring-0 fallback");
  build->add_option("--libos", b.libos, "LibOS ELF (default: $SHOAL_LIBOS or ../lib/shoal/libos.elf)");
  build->add_flag("--net", b.net, "Declare the network device (the image may then run with shoal-vmm --net)");
  build->add_option("--include", b.include,
                    "Host directory (or file) packed at its own path, e.g. /usr/lib/python3.11; its ELF files' "
                    "libraries are packed too (repeatable)")
      ->allow_extra_args(false);
  build->add_option("--add", b.add,
                    "Another program packed at its own path (with its libraries, its syscall sites rewritten) "
                    "for the first one to execve (repeatable)")
      ->allow_extra_args(false);
  build->add_flag("--busybox-links", b.busybox_links,
                  "Pack a symlink to the packed busybox for each of its applets (busybox --list-full), so that "
                  "its shell finds them by PATH");
  build->add_flag("--allow-wx", b.allow_wx,
                  "The program needs writable+executable segments (else refused); recorded in the manifest");

  RunCommand r;
  auto* run = app.add_subcommand("run", "Run an image, or a program (built on the fly, cached), or resume a snapshot");
  run->add_option("target", r.target, "Image, static program, or snapshot (.snap: resumed)")->required();
  run->add_option("args", r.args, "Arguments for the program (after --)");
  run->add_option("--memory", r.memory, "Guest memory (e.g. 512M)");
  run->add_option("--cpu", r.cpu, "Pin the vCPU thread to this host CPU");
  run->add_option("--timeout", r.timeout, "Kill the instance after SEC seconds");
  run->add_option("--max-processes", r.max_processes,
                  "The processes the program's forks may make, the first included (default 64, at most 1024; past "
                  "it fork fails with EAGAIN)");
  run->add_option("--shm-size", r.shm_size,
                  "Memory the process family shares for System V IPC and /dev/shm (default 64M, 0: none)");
  run->add_option("--cpu-features", r.cpu_features, "baseline|avx|avx512|host: the guest's XCR0 and CPUID");
  run->add_option("--env", r.env,
                  "K=V sets a variable for the program, K alone removes one (repeatable); the default "
                  "is HOME=/ PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8")->allow_extra_args(false);
  run->add_option("--root", r.root, "Root filesystem directory (programs only)");
  run->add_option("--writable", r.writable, "Writable in-memory directory, as for build (programs only)")
      ->allow_extra_args(false);
  run->add_option("--libos", r.libos, "LibOS ELF (programs only)");
  run->add_option("--include", r.include, "Host directory or file packed at its own path, as for build (programs only)")
      ->allow_extra_args(false);
  run->add_option("--add", r.add, "Another program packed for execve, as for build (programs only)")
      ->allow_extra_args(false);
  run->add_flag("--busybox-links", r.busybox_links, "busybox applet symlinks, as for build (programs only)");
  run->add_flag("--no-rewrite", r.no_rewrite, "Build without syscall rewriting (programs only)");
  run->add_flag("--verbose", r.verbose, "Name unimplemented system calls, print build details");
  run->add_flag("--timing", r.timing, "Print start-up timing");
  run->add_flag("--allow-wx", r.allow_wx, "Build with writable+executable segments allowed (programs only)");
  run->add_option("--user", r.user, "USER[:GROUP] the monitor becomes when run as root (default: nobody)");
  run->add_flag("--no-jail", r.no_jail, "Debugging: the monitor keeps its uid, capabilities and namespaces");
  run->add_option("--net", r.net, "tap:NAME: a network device on TAP device NAME (a program is built with it declared)");
  run->add_option("--ip", r.ip, "The guest's IPv4 address A.B.C.D/N (with --net)");
  run->add_option("--ip6", r.ip6, "The guest's static IPv6 address ADDR/PREFIX, or auto: SLAAC from router advertisements, the default (with --net)");
  run->add_option("--gateway", r.gateway, "Default gateway A.B.C.D, inside the subnet (with --net)");
  run->add_option("--mac", r.mac, "The guest's MAC xx:xx:xx:xx:xx:xx (default: random, locally administered)");
  run->add_option("--net-impair", r.net_impair,
                  "Test aid: loss=P,delay=MS,reorder=P[,seed=N] on frames to the guest (see shoal-vmm --help)");

  std::string inspect_path;
  auto* inspect = app.add_subcommand("inspect", "Print an image's header, sections and manifest, or a snapshot's header");
  inspect->add_option("image", inspect_path, "Image or snapshot file")->required();

  SnapshotCommand sn;
  auto* snapshot = app.add_subcommand("snapshot", "Boot an image and save it at its ready point (resume: shoal run FILE.snap)");
  snapshot->add_option("image", sn.image, "The .shoal image")->required();
  snapshot->add_option("-o,--output", sn.output, "The snapshot file to write (FILE.snap)")->required();
  snapshot->add_option("--ready", sn.ready,
                       "listen|port:N: the ready point, the first time every thread waits with a listening socket "
                       "(any port, or port N) (default listen)");
  snapshot->add_option("--memory", sn.memory, "Guest memory (fixed in the snapshot)");
  snapshot->add_option("--timeout", sn.timeout, "Give up if the ready point is not reached in SEC seconds");
  snapshot->add_option("--cpu-features", sn.cpu_features, "baseline|avx|avx512|host (fixed in the snapshot)");
  snapshot->add_option("--env", sn.env, "K=V for the program (fixed in the snapshot; repeatable)")->allow_extra_args(false);
  snapshot->add_flag("--verbose", sn.verbose, "Describe the set-up and the save");
  snapshot->add_option("--user", sn.user, "USER[:GROUP] the monitor becomes when run as root (default: nobody)");
  snapshot->add_flag("--no-jail", sn.no_jail, "Debugging: the monitor keeps its uid, capabilities and namespaces");
  snapshot->add_option("args", sn.args, "Arguments for the program (after --; fixed in the snapshot)");

  PoolCommands pool;
  add_pool_commands(app, pool);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*build) return run_build(b);
  if (*run) return run_run(r);
  if (*inspect) return run_inspect(inspect_path);
  if (*snapshot) return run_snapshot_command(sn);
  if (int rc = run_pool_command(pool); rc >= 0) return rc;
  return kExitUsage;
}
