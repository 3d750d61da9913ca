// dlopen of files the image does not hold: the program's own error, as on
// Linux when the file does not exist (ENOENT), and then dlopen of a library
// that is packed (libm, needed by this program) by its soname.
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>

int main(void) {
  void* h = dlopen("/opt/shoal-test-absent/libabsent.so", RTLD_NOW);
  printf("absent by path: %s\n", h ? "loaded" : dlerror());
  h = dlopen("libshoal-test-absent.so.1", RTLD_NOW);
  printf("absent by name: %s\n", h ? "loaded" : dlerror());
  h = dlopen("libm.so.6", RTLD_NOW);
  double (*cosine)(double) = h ? (double (*)(double))dlsym(h, "cos") : NULL;
  printf("libm: %s, cos(0) = %.1f, sqrt %.3f\n", h ? "loaded" : dlerror(), cosine ? cosine(0.0) : -1.0, sqrt(3.0));
  return h ? 0 : 1;
}
