#include <catch2/catch.hpp>
#include <random>

#include "nlp/data/csv.h"
#include "nlp/data/split.h"
#include "nlp/util/error.h"

using nlp::data::parse_csv;
using nlp::data::parse_tsv;

TEST_CASE("CSV: quoted fields hold commas, doubled quotes and newlines", "[data][csv]") {
  std::string text =
      "a,b,c\r\n"
      "1,\"x, y\",\"say \"\"hi\"\"\"\r\n"
      "2,\"two\nlines\",\r\n"
      "\n"
      "3,,\"\"";
  auto rows = parse_csv(text, "t.csv");
  REQUIRE(rows.size() == 4);
  CHECK(rows[1].fields == std::vector<std::string>{"1", "x, y", "say \"hi\""});
  CHECK(rows[1].line == 2);
  CHECK(rows[2].fields == std::vector<std::string>{"2", "two\nlines", ""});
  CHECK(rows[2].line == 3);
  CHECK(rows[3].fields == std::vector<std::string>{"3", "", ""});
  CHECK(rows[3].line == 6);  // the quoted newline advanced the line count; the blank line is skipped
}

TEST_CASE("CSV: BOM stripped, unterminated quote names the line where it opened", "[data][csv]") {
  auto rows = parse_csv("\xEF\xBB\xBFh1,h2\nv1,v2\n", "t.csv");
  CHECK(rows[0].fields[0] == "h1");
  CHECK_THROWS_WITH(parse_csv("a,b\n1,2\n3,\"open\n\n", "bad.csv"), Catch::Contains("bad.csv:3") && Catch::Contains("never closed"));
  CHECK_THROWS_WITH(parse_csv("a,b\n1,\"x\"y\n", "bad.csv"), Catch::Contains("bad.csv:2") && Catch::Contains("after a closing quote"));
}

TEST_CASE("TSV: quotes are ordinary characters (GLUE dialect)", "[data][csv]") {
  auto rows = parse_tsv("q\ts\n1\t\"unmatched quote\r\n0\tb\"c\n", "t.tsv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields[1] == "\"unmatched quote");
  CHECK(rows[2].fields[1] == "b\"c");
  CHECK(rows[2].line == 3);
}

TEST_CASE("table: wrong field count and missing column name file:line", "[data][csv]") {
  auto t = nlp::data::make_table(parse_tsv("a\tb\n1\t2\n", "ok.tsv"), "ok.tsv");
  CHECK(t.require("b") == 1);
  CHECK_THROWS_WITH(t.require("label"), Catch::Contains("ok.tsv:1") && Catch::Contains("missing column 'label'"));
  CHECK_THROWS_WITH(nlp::data::make_table(parse_tsv("a\tb\n1\t2\n3\n", "x.tsv"), "x.tsv"),
                    Catch::Contains("x.tsv:3") && Catch::Contains("expected 2 fields") && Catch::Contains("found 1"));
}

TEST_CASE("train_eval_split is deterministic, disjoint and complete", "[data][split]") {
  auto a = nlp::data::train_eval_split(1190, 0.2, 42);
  auto b = nlp::data::train_eval_split(1190, 0.2, 42);
  auto c = nlp::data::train_eval_split(1190, 0.2, 43);
  CHECK(a.eval == b.eval);
  CHECK(a.eval != c.eval);
  CHECK(a.eval.size() == 238);
  CHECK(a.train.size() == 952);
  std::vector<int> seen(1190, 0);
  for (size_t i : a.train) seen[i]++;
  for (size_t i : a.eval) seen[i]++;
  CHECK(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  CHECK(std::is_sorted(a.eval.begin(), a.eval.end()));
  // Not just a prefix: the eval part is spread over the whole range.
  CHECK(a.eval.front() < 100);
  CHECK(a.eval.back() > 1090);
  CHECK(nlp::data::train_eval_split(2, 0.01, 1).eval.size() == 1);
  CHECK_THROWS_WITH(nlp::data::train_eval_split(1, 0.5, 1), Catch::Contains("at least 2"));
  CHECK_THROWS_WITH(nlp::data::train_eval_split(10, 1.0, 1), Catch::Contains("(0, 1)"));
}

TEST_CASE("CSV: random fields survive quoting and parsing", "[data][csv]") {
  // Property check: fields drawn from an alphabet full of delimiters, quotes and line breaks,
  // written with RFC 4180 quoting, parse back to the same records and start lines.
  std::mt19937 rng(12345);
  const std::string alphabet = "ab,\"\n\r x";
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::vector<std::string>> records(1 + rng() % 5, std::vector<std::string>(1 + trial % 4));
    std::string text;
    std::vector<size_t> lines;
    size_t line = 1;
    for (auto& rec : records) {
      lines.push_back(line);
      for (size_t k = 0; k < rec.size(); ++k) {
        for (size_t n = rng() % 6; n > 0; --n) rec[k] += alphabet[rng() % alphabet.size()];
        if (rec.size() == 1 && rec[k].empty()) rec[k] = "e";  // a lone empty field would be a blank line
        std::string quoted = "\"";
        for (char c : rec[k]) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        quoted += "\"";
        for (char c : rec[k]) line += c == '\n';
        text += (k ? "," : "") + quoted;
      }
      text += "\r\n";
      ++line;
    }
    auto parsed = parse_csv(text, "rand.csv");
    REQUIRE(parsed.size() == records.size());
    for (size_t r = 0; r < records.size(); ++r) {
      CHECK(parsed[r].fields == records[r]);
      CHECK(parsed[r].line == lines[r]);
    }
  }
}
