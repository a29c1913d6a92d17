// `nlp env` and the global runtime options through the real binary (NLP_BINARY).
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>
#include <string>

#include "io_test_util.h"
#include "nlp/util/fs.h"

namespace {

struct Run {
  int code;
  std::string output;
};

Run run(const std::string& prefix, const std::string& args, const std::string& log) {
  std::string cmd = prefix + std::string(NLP_BINARY) + " " + args + " > " + log + " 2>&1";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, nlp::read_file(log)};
}

}  // namespace

TEST_CASE("nlp env reports BLAS, threads and a measured GEMM rate", "[cli][env]") {
  nlp::test::TempDir tmp;
  // Without OMP_WAIT_POLICY in the environment the binary re-executes itself with PASSIVE.
  auto r = run("env -u OMP_WAIT_POLICY -u NLP_NO_REEXEC ", "--threads 1 env", tmp.file("env.log"));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("OMP_WAIT_POLICY PASSIVE") != std::string::npos);
  CHECK(r.output.find("intra-op threads 1") != std::string::npos);
  // The machine has libopenblas0-pthread installed: the alternatives symlink must resolve to it.
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex("BLAS +(\\S+)")));
  CHECK(m[1].str().find("openblas") != std::string::npos);
  CHECK(r.output.find("WARNING: reference BLAS") == std::string::npos);
  REQUIRE(std::regex_search(r.output, m, std::regex("GEMM fp32 512\\^3 ([0-9.]+) GFLOP/s")));
  CHECK(std::stod(m[1].str()) > 1.0);

  // The user's own wait policy wins.
  auto active = run("env OMP_WAIT_POLICY=ACTIVE ", "env --no-gemm", tmp.file("active.log"));
  REQUIRE(active.code == 0);
  CHECK(active.output.find("OMP_WAIT_POLICY ACTIVE") != std::string::npos);
}

TEST_CASE("an unavailable --device is a clear error", "[cli][env]") {
  nlp::test::TempDir tmp;
  auto r = run("", "--device cuda:7 env --no-gemm", tmp.file("dev.log"));
  CHECK(r.code == 2);
  CHECK(r.output.find("--device") != std::string::npos);
  auto bad = run("", "--device tpu env --no-gemm", tmp.file("bad.log"));
  CHECK(bad.code == 2);
  CHECK(bad.output.find("expected cpu, cuda or cuda:N") != std::string::npos);
}
