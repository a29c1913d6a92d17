// Sharded checkpoints (model.safetensors.index.json / pytorch_model.bin.index.json), written
// into a temp dir from real fixtures with our own writer.
#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "nlp/io/checkpoint.h"
#include "nlp/util/fs.h"
#include "nlp/util/json.h"
#include "support/shared.h"
#include "torch/io_test_util.h"

using nlp::io::StateDict;

namespace {

// Splits `sd` into `n` shards named as transformers names them and writes the index.
nlp::json write_shards(const std::string& dir, const StateDict& sd, int n) {
  std::vector<StateDict> shards(n);
  int i = 0;
  for (const auto& [k, t] : sd) shards[i++ % n][k] = t;
  nlp::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlp::json::object()}};
  for (int s = 0; s < n; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, n);
    nlp::io::save_safetensors(dir + "/" + name, shards[s]);
    for (const auto& kv : shards[s]) index["weight_map"][kv.first] = name;
  }
  nlp::write_file_atomic(dir + "/model.safetensors.index.json", index.dump(2));
  return index;
}

}  // namespace

TEST_CASE("sharded safetensors load as the union of their shards", "[io][sharded]") {
  nlp::test::TempDir tmp;
  StateDict full = nlp::io::load_safetensors(nlp::test::shared_path("fixtures/hf/bert-token-cls/model.safetensors"));
  write_shards(tmp.path(), full, 3);

  auto c = nlp::io::load_checkpoint_dir(tmp.path());
  CHECK(c.format == nlp::io::CheckpointFormat::Safetensors);
  CHECK(c.files == std::vector<std::string>{tmp.file("model-00001-of-00003.safetensors"),
                                            tmp.file("model-00002-of-00003.safetensors"),
                                            tmp.file("model-00003-of-00003.safetensors")});
  REQUIRE(c.tensors.size() == full.size());
  for (const auto& [k, t] : full) CHECK(nlp::test::bit_equal(c.tensors.at(k), t));
  CHECK(nlp::io::load_weights_file(tmp.file("model.safetensors.index.json")).size() == full.size());
}

TEST_CASE("sharded pytorch_model.bin", "[io][sharded][pytorch_bin]") {
  nlp::test::TempDir tmp;
  std::string src = nlp::test::shared_path("fixtures/hf/gpt2-lm");
  StateDict full = nlp::io::load_pytorch_bin(src + "/pytorch_model.bin");
  // Shard 1: the fixture's own archive; shard 2: a hand-made archive with one more tensor.
  nlp::write_file_atomic(tmp.file("pytorch_model-00001-of-00002.bin"), nlp::read_file(src + "/pytorch_model.bin"));
  at::Tensor extra = torch::arange(6, torch::kFloat);
  nlp::write_file_atomic(tmp.file("pytorch_model-00002-of-00002.bin"),
                         nlp::test::make_zip({{"x/data.pkl", nlp::test::state_dict_pickle({{"extra.weight", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}}})},
                                              {"x/data/0", std::string(static_cast<const char*>(extra.data_ptr()), 24)}}));
  nlp::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlp::json::object()}};
  for (const auto& kv : full) index["weight_map"][kv.first] = "pytorch_model-00001-of-00002.bin";
  index["weight_map"]["extra.weight"] = "pytorch_model-00002-of-00002.bin";
  nlp::write_file_atomic(tmp.file("pytorch_model.bin.index.json"), index.dump());

  auto c = nlp::io::load_checkpoint_dir(tmp.path());
  CHECK(c.format == nlp::io::CheckpointFormat::PytorchBin);
  CHECK(c.files.size() == 2);
  REQUIRE(c.tensors.size() == full.size() + 1);
  for (const auto& [k, t] : full) CHECK(nlp::test::bit_equal(c.tensors.at(k), t));
  CHECK(torch::equal(c.tensors.at("extra.weight"), extra.reshape({2, 3})));
}

TEST_CASE("broken shard indexes give errors naming the index and the problem", "[io][sharded][corrupt]") {
  nlp::test::TempDir tmp;
  StateDict full = nlp::io::load_safetensors(nlp::test::shared_path("fixtures/hf/bert-model/model.safetensors"));
  nlp::json index = write_shards(tmp.path(), full, 2);
  const std::string idx = tmp.file("model.safetensors.index.json");
  auto rewrite = [&](const nlp::json& j) { nlp::write_file_atomic(idx, j.dump()); };

  SECTION("missing shard file") {
    std::remove(tmp.file("model-00002-of-00002.safetensors").c_str());
    nlp::test::require_error([&] { nlp::io::load_checkpoint_dir(tmp.path()); },
                             {idx, "shard 'model-00002-of-00002.safetensors'", "not found"});
  }
  SECTION("weight_map names a tensor its shard does not hold") {
    nlp::json j = index;
    j["weight_map"]["pooler.dense.extra"] = "model-00001-of-00002.safetensors";
    rewrite(j);
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); },
                             {idx, "'pooler.dense.extra'", "model-00001-of-00002.safetensors", "has no such tensor"});
  }
  SECTION("a tensor in two shards") {
    StateDict dup{{"pooler.dense.bias", full.at("pooler.dense.bias")}};
    nlp::io::save_safetensors(tmp.file("dup.safetensors"), dup);
    nlp::json j = index;
    j["weight_map"]["dup_marker"] = "dup.safetensors";
    rewrite(j);
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); }, {idx, "'dup_marker'"});  // key missing first
    nlp::io::save_safetensors(tmp.file("dup.safetensors"), {{"dup_marker", dup.at("pooler.dense.bias")}, {"pooler.dense.bias", dup.at("pooler.dense.bias")}});
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); }, {idx, "'pooler.dense.bias'", "appears in two shards"});
  }
  SECTION("no weight_map") {
    rewrite(nlp::json{{"metadata", nlp::json::object()}});
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); }, {idx, "weight_map"});
  }
  SECTION("shard outside the folder") {
    nlp::json j = index;
    j["weight_map"]["pooler.dense.bias"] = "../elsewhere.safetensors";
    rewrite(j);
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); }, {idx, "must be a file name inside the checkpoint folder"});
  }
  SECTION("invalid JSON") {
    nlp::write_file_atomic(idx, "{\"weight_map\": {");
    nlp::test::require_error([&] { nlp::io::load_sharded(idx); }, {idx});
  }
}
