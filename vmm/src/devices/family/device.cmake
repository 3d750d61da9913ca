# The family region: memory the processes of an instance family share (SysV
# IPC, POSIX shm); serves the `family` hypercall. Needs no wake descriptor.
shoal_vmm_device(family
  ORDER 40
  HEADER family_module.hpp
  FACTORY make_family_module
  SOURCES family_module.cpp)
