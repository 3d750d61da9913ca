// Name resolution for the pool: a service reaches another by name through
// the C library's "files" lookup. At boot the LibOS serves /etc/hosts (the
// services table of the channel header, name -> virtual IPv4, plus
// localhost), /etc/nsswitch.conf ("hosts: files") and an empty
// /etc/resolv.conf — each only where the image does not ship its own, and
// only in an instance with a channel.
#pragma once

namespace libos::net {

// After the root file system and channel_init: adds the missing files, as a
// small /etc when the image has none, as an overlay on the image's read-only
// /etc, or as new files in a writable /etc.
void etc_files_init();

}  // namespace libos::net
