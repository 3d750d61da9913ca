// iostream, std::string and formatting through libstdc++.
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main() {
  std::vector<std::string> words{"unikernel", "monitor", "pool"};
  for (size_t i = 0; i < words.size(); ++i)
    std::cout << std::setw(2) << i << ": " << words[i] << " (" << words[i].size() << ")\n";
  std::ostringstream out;
  out << std::hex << 3054 << ' ' << std::fixed << std::setprecision(3) << 3.14159;
  std::cout << out.str() << std::endl;
  std::cerr << "cerr works" << std::endl;
  return 0;
}
