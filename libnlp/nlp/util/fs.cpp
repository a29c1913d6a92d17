#include "nlp/util/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nlp/util/error.h"

#ifndef NLP_DEFAULT_SHARED_DIR
#define NLP_DEFAULT_SHARED_DIR "../shared"
#endif

namespace nlp {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  return ss.str();
}

static void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    writer(tmp);
    fsync_path(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, "cannot rename temporary file into place");
  }
  auto parent = std::filesystem::path(path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string());
}

void write_file_atomic(const std::string& path, const std::string& data) {
  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, "cannot open for writing");
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) fail(path, "write error (disk full?)");
  });
}

std::string shared_dir() {
  if (const char* env = std::getenv("LIBNLP_SHARED"); env && *env) return env;
  if (path_exists(NLP_DEFAULT_SHARED_DIR)) return NLP_DEFAULT_SHARED_DIR;
  return "../shared";
}

std::string path_join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

bool path_exists(const std::string& path) { return std::filesystem::exists(path); }

}  // namespace nlp
