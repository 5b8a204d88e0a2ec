#include "bench_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace pushmail::bench {

int Run(const std::vector<std::string>& args, const std::string& stdin_text) {
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  cmd += ">/dev/null";
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return -1;
  std::fputs(stdin_text.c_str(), p);
  return pclose(p);
}

namespace {

// Reads the "listening NAME HOST:PORT" lines printed so far into `ports`.
void ReadListeners(const std::string& out, std::map<std::string, int>& ports) {
  std::ifstream f(out);
  std::string word, name, addr;
  while (f >> word >> name >> addr) {
    if (word == "listening") ports[name] = std::stoi(addr.substr(addr.rfind(':') + 1));
  }
}

}  // namespace

ServerProcess StartServer(const std::string& server, const std::vector<std::string>& users,
                          const std::string& password, const std::vector<std::string>& serve_args,
                          const std::vector<std::string>& wanted, const std::string& hash_cost) {
  ServerProcess sp;
  char tmpl[] = "/tmp/pushmail-bench-XXXXXX";
  sp.dir = mkdtemp(tmpl);
  sp.log = sp.dir + "/server.log";
  // A thousand a time keeps the shell's command line far below the kernel's 128 KiB.
  constexpr size_t kPerCall = 1000;
  for (size_t first = 0; first < users.size(); first += kPerCall) {
    std::vector<std::string> add = {server,        "user",    "add",    "--password-stdin",
                                    "--hash-cost", hash_cost, "--data", sp.dir};
    size_t end = std::min(users.size(), first + kPerCall);
    add.insert(add.end(), users.begin() + static_cast<long>(first),
               users.begin() + static_cast<long>(end));
    Run(add, password + "\n");
  }
  std::string out = sp.dir + "/stdout";
  std::vector<std::string> args = {server, "serve", "--data", sp.dir};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, sp.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn(&sp.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  auto all_up = [&] {
    return std::all_of(wanted.begin(), wanted.end(),
                       [&](const std::string& name) { return sp.ports.count(name) > 0; });
  };
  for (int i = 0; i < 200 && !all_up(); ++i) {
    ReadListeners(out, sp.ports);
    if (!all_up()) usleep(50000);
  }
  return sp;
}

double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long RssBytes(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long kib = 0;
  while (f >> key) {
    if (key == "VmRSS:" && f >> kib) return kib * 1024;
    f.ignore(1 << 20, '\n');
  }
  return 0;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace pushmail::bench
