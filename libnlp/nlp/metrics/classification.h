// Classification and regression metrics as GLUE reports them (Hugging Face `evaluate`'s glue
// metric, which calls scikit-learn and SciPy). Inputs are predictions and references of equal,
// non-zero length; a length mismatch or empty input throws nlp::Error.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nlp::metrics {

// Named metric values in a fixed order, e.g. {{"accuracy", 0.9}, {"f1", 0.88}}.
using MetricList = std::vector<std::pair<std::string, double>>;

// Fraction of positions where prediction == label (sklearn accuracy_score).
double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);

// Binary F1 of class `pos_label` (sklearn f1_score, average="binary"): 2TP / (2TP + FP + FN),
// 0 when there is no true and no predicted positive (sklearn's zero_division default).
double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels, int64_t pos_label = 1);

// Matthews correlation coefficient, multiclass (sklearn matthews_corrcoef, Gorodkin's R_K):
// 0 when undefined (a constant prediction or constant labels).
double matthews_corrcoef(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);

// Pearson's r (scipy.stats.pearsonr): NaN when either input is constant.
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rho (scipy.stats.spearmanr): Pearson's r of the ranks, ties getting their average
// rank. NaN when either input is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// 1-based ranks with ties averaged (scipy.stats.rankdata(method="average")).
std::vector<double> average_ranks(const std::vector<double>& values);

// The metrics run_glue.py reports for a GLUE task (names as `evaluate`'s glue metric; the Trainer
// prefixes "eval_"), plus "combined_score" (their mean) when there are several, as run_glue does:
//   cola -> matthews_correlation; mrpc, qqp -> accuracy, f1, combined_score;
//   stsb -> pearson, spearmanr, combined_score; sst2, mnli, qnli, rte, wnli -> accuracy.
// glue_metrics takes class ids; glue_regression_metrics takes STS-B scores.
MetricList glue_metrics(const std::string& task, const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
MetricList glue_regression_metrics(const std::vector<double>& predictions, const std::vector<double>& labels);

}  // namespace nlp::metrics
