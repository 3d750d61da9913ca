# The shared-memory channel to shoald (--channel). Before net: it sets the
# wake descriptor `block` polls, which the network device then reuses.
shoal_vmm_device(channel
  ORDER 20
  HEADER channel_module.hpp
  FACTORY make_channel_module
  SOURCES channel_module.cpp channel_options.cpp channel_region.cpp)
