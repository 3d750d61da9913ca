# The network device (--net tap:NAME): region, kick port, TAP, I/O thread.
# After the channel: it reuses the channel's wake descriptor when there is one.
shoal_vmm_device(net
  ORDER 30
  HEADER net_module.hpp
  FACTORY make_net_module
  SOURCES net_device.cpp net_impair.cpp net_io.cpp net_module.cpp net_options.cpp net_tap.cpp)
