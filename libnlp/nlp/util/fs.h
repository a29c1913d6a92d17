// Filesystem helpers: atomic writes (temp file + fsync + rename), whole-file reads, and the
// location of the shared fixtures/data directory.
#pragma once

#include <functional>
#include <string>

namespace nlp {

// Reads a whole file into a string. Throws nlp::Error naming the path.
std::string read_file(const std::string& path);

// Writes `data` to `path` atomically: the bytes go to "<path>.tmp.<pid>" in the same directory,
// are flushed to disk, and the temp file is renamed over `path`. A reader never sees a
// half-written file; on failure the temp file is removed and nlp::Error is thrown.
void write_file_atomic(const std::string& path, const std::string& data);

// Same, with a writer callback that writes to the given temp path (for writers that need a path).
void write_atomic_with(const std::string& path, const std::function<void(const std::string& tmp_path)>& writer);

// Directory holding fixtures/ and data/: $LIBNLP_SHARED if set, else the build-time default
// (<source>/../shared), else "../shared".
std::string shared_dir();

// Joins two path components with '/'.
std::string path_join(const std::string& a, const std::string& b);

bool path_exists(const std::string& path);

}  // namespace nlp
