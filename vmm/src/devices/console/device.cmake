# The console: stdin, stdout and stderr of the instance; serves the
# console_read and console_write hypercalls. First: nothing depends on it.
shoal_vmm_device(console
  ORDER 10
  HEADER console_module.hpp
  FACTORY make_console_module
  SOURCES console_module.cpp console_hypercalls.cpp)
