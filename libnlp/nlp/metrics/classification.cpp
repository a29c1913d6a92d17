#include "nlp/metrics/classification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "nlp/data/glue.h"
#include "nlp/util/error.h"

namespace nlp::metrics {

namespace {

template <class A, class B>
void check_sizes(const std::vector<A>& p, const std::vector<B>& l, const char* what) {
  if (p.size() != l.size())
    fail(what, std::to_string(p.size()) + " predictions but " + std::to_string(l.size()) + " references");
  if (p.empty()) fail(what, "no predictions (empty input)");
}

}  // namespace

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_sizes(predictions, labels, "accuracy");
  size_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels, int64_t pos_label) {
  check_sizes(predictions, labels, "f1");
  double tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool p = predictions[i] == pos_label, t = labels[i] == pos_label;
    tp += p && t;
    fp += p && !t;
    fn += !p && t;
  }
  const double denom = 2 * tp + fp + fn;
  return denom == 0 ? 0.0 : 2 * tp / denom;
}

double matthews_corrcoef(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_sizes(predictions, labels, "matthews_corrcoef");
  // Per-class counts: t_k (true occurrences), p_k (predicted), and the diagonal c (correct).
  std::map<int64_t, double> t, p;
  double correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    t[labels[i]] += 1;
    p[predictions[i]] += 1;
    correct += predictions[i] == labels[i];
  }
  const double s = static_cast<double>(labels.size());
  double tp_dot = 0, pp = 0, tt = 0;
  for (const auto& [k, v] : t) {
    tt += v * v;
    auto it = p.find(k);
    if (it != p.end()) tp_dot += v * it->second;
  }
  for (const auto& [k, v] : p) pp += v * v;
  const double cov_ytyp = correct * s - tp_dot;
  const double cov_ypyp = s * s - pp;
  const double cov_ytyt = s * s - tt;
  if (cov_ypyp * cov_ytyt == 0) return 0.0;
  return cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp);
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y, "pearson");
  if (x.size() < 2) fail("pearson", "needs at least 2 values");
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  const double r = sxy / (std::sqrt(sxx) * std::sqrt(syy));
  return std::clamp(r, -1.0, 1.0);
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;  // average of 1-based i+1..j+1
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y, "spearman");
  return pearson(average_ranks(x), average_ranks(y));
}

static MetricList with_combined(MetricList m) {
  if (m.size() > 1) {
    double sum = 0;
    for (const auto& kv : m) sum += kv.second;
    m.emplace_back("combined_score", sum / static_cast<double>(m.size()));
  }
  return m;
}

MetricList glue_metrics(const std::string& task, const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  const auto& info = data::glue_task_info(task);
  if (info.is_regression) fail("glue_metrics", "task '" + info.name + "' is a regression task: use glue_regression_metrics");
  if (info.name == "cola") return {{"matthews_correlation", matthews_corrcoef(predictions, labels)}};
  if (info.name == "mrpc" || info.name == "qqp")
    return with_combined({{"accuracy", accuracy(predictions, labels)}, {"f1", f1_binary(predictions, labels)}});
  return {{"accuracy", accuracy(predictions, labels)}};
}

MetricList glue_regression_metrics(const std::vector<double>& predictions, const std::vector<double>& labels) {
  return with_combined({{"pearson", pearson(predictions, labels)}, {"spearmanr", spearman(predictions, labels)}});
}

}  // namespace nlp::metrics
