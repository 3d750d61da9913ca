// The exec system calls (exec/execve.cpp): replace the program running in
// this instance with another ELF file (or #! script) of its file systems.
#pragma once

long sys_execve(const char* path, char* const* argv, char* const* envp);
long sys_execveat(int dirfd, const char* path, char* const* argv, char* const* envp, int flags);
