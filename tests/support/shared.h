// Test helpers: locating ../shared. A missing fixture is a test failure, never a skip.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "nlp/util/fs.h"

namespace nlp::test {

// Absolute path of a file or folder under shared/ (e.g. "fixtures/hf/bert-model").
// Fails the current test when it does not exist.
inline std::string shared_path(const std::string& rel) {
  std::string p = nlp::path_join(nlp::shared_dir(), rel);
  INFO("shared fixture: " << p << " (set LIBNLP_SHARED to the shared/ folder)");
  REQUIRE(nlp::path_exists(p));
  return p;
}

}  // namespace nlp::test
